export { eventSchema, overviewStats } from './overview.js';
export { registerAnalyticsRoutes } from './routes.js';
export { DEFAULT_OVERVIEW_DAYS, warmOverviewRollup } from './rollup.js';
export { startOverviewRollupWarmer } from './warmer.js';
