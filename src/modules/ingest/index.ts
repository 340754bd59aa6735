export { ingestMessages, setIngestParallelism, storeMessages, appendProfileEvents, insertAnchoredEvents, type AnchoredEvent, type IngestResult, type ProfileEventInput } from './service.js';
export { prepareMessages, type PreparedMessage } from './prepare.js';
export { SegmentMessage, MAX_BATCH_BYTES, MAX_MESSAGE_BYTES } from './schema.js';
export { registerIngestRoutes } from './routes.js';
