export { storeMessages, storeMessagesReturningInserted, appendProfileEvents, insertAnchoredEvents, type AnchoredEvent, type IngestResult, type ProfileEventInput } from './service.js';
export { ingestMessages, intakeApplier, setIngestParallelism } from './accept.js';
export { intakeIsBehind } from './intake-applier.js';
export { intakeBacklog, setIntakeMode, type IntakeBacklog, type IntakeMode } from './intake.js';
export { prepareMessages, type PreparedMessage } from './prepare.js';
export { SegmentMessage, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES } from './schema.js';
export { registerIngestRoutes } from './routes.js';
