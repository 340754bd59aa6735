import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../platform/http/context.js';
import { registerLifecycleRoutes } from '../lifecycle/index.js';
import { registerTagRoutes } from '../tags/index.js';
import { recomputeWithDependents, runDailyPass } from './evaluation.js';
import { registerSegmentRoutes } from './routes.js';
import { startRulesWorker } from './worker.js';

/** Segments, and the orchestration of the whole rules tier (real-time feed, full recomputes, daily pass). */
export { evaluateProfiles, processProfileChanges, processAllProfileChanges, recomputeWithDependents, releaseStaleClaims, runDailyPass } from './evaluation.js';
/** Whole-workspace writes of stages, RFM or memberships outside the daily pass take the rules lock as its steps do. */
export { exclusiveStep as withRulesLockExclusive, lockRulesShared } from './evaluation.js';
export { recomputeRuleSegment, setStaticMembers, SEGMENT_ENTERED, SEGMENT_EXITED } from './materialise.js';
export {
  createSegment,
  createStaticSegment,
  deleteSegment,
  estimateRule,
  exportMembersCsv,
  getSegment,
  listMembers,
  listSegments,
  profileSegments,
  updateSegment,
} from './service.js';
export { deleteRulesTierRows, remapSegmentMembers } from './remap.js';
export { startRulesWorker } from './worker.js';
export { Segment, SegmentInput, SegmentUpdate, StaticSegmentInput } from './schema.js';

/** Routes of the rules tier (rules, tags, segments, lifecycle). The serving process also runs startRulesWorker. */
export function registerRulesTierRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  registerSegmentRoutes(app, ctx);
  registerTagRoutes(app, ctx, { afterRuleChange: (ws, id) => recomputeWithDependents(db, ws, { kind: 'tag', id }, new Date()) });
  registerLifecycleRoutes(app, ctx, { recompute: (ws) => runDailyPass(db, ws) });
}
