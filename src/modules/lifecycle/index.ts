/** AIPL lifecycle stages (per-workspace event mapping, history, daily counts, flows) and RFM (quintiles, 8 classes). */
export { refreshStages, snapshotDailyCounts, aiplReport } from './aipl.js';
export { raiseStagesForEvents, stageLevelOf, type ArrivedEvents } from './aipl-profiles.js';
export { backfillLifecycle } from './backfill.js';
export { computeRfm, rfmReport } from './rfm.js';
export { getLifecycleSettings, saveLifecycleSettings } from './settings.js';
export { profileLifecycle, remapLifecycleRows } from './profile.js';
export { DEFAULT_SETTINGS, LifecycleSettings, RFM_CLASS_LABELS, AiplReport, RfmReport, ProfileLifecycleView } from './schema.js';
export { registerLifecycleRoutes } from './routes.js';
