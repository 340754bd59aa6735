import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../platform/http/context.js';
import { addBackgroundStarter } from '../../apps/server/background.js';
import { registerJourneyRoutes } from './routes.js';
import { startJourneyWorker } from './worker.js';

/** Journeys: definitions as versioned data, durable per-person positions, an outbox of effects, paths and stats. */
export { JourneyDefinition, JourneyInput, JourneyNode, JourneyView, Trigger, Policies, JOURNEY_SCHEMA_VERSION } from './schema.js';
export { definitionIssues, parseDefinition } from './validate.js';
export { archiveJourney, createJourney, getJourney, listJourneys, listVersions, pauseJourney, publishJourney, updateJourney } from './service.js';
export { enterManually, enterProfiles } from './entries.js';
export { profileJourneyPaths, journeyStats } from './paths.js';
export { BLUEPRINTS, installJourneyTemplate, listJourneyTemplates } from './templates.js';
export { advanceDue } from './advance.js';
export { claimOutbox, deliverOutboxRow } from './sender.js';
export { deliverOutboxBatch } from './batch-sender.js';
export { consumeEvents, consumeTagChanges, runSchedules } from './triggers.js';
export { drainJourneys, runJourneyPass, startJourneyWorker } from './worker.js';
export { deleteJourneyRows, remapJourneyRows } from './remap.js';

let workerRegistered = false;

/** The journeys admin API and, for serving processes, the journey worker. */
export function registerJourneys(app: FastifyInstance, ctx: AppContext): void {
  registerJourneyRoutes(app, ctx);
  if (!workerRegistered) {
    workerRegistered = true;
    addBackgroundStarter(async (background, opts) => startJourneyWorker(background.database.db, { log: opts.log, publicUrl: background.publicUrl }));
  }
}
