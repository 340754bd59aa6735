export { applyImportChunk, IMPORT_KINDS, type ChunkResult, type ImportKind } from './apply.js';
export { runImport, type ImportProgress, type ImportSummary } from './run.js';
export { memberRowToMessage, orderRecordsToOrders, type Reject, type SourceRecord } from './records.js';
export { storeMembers, type StoredMembers } from './members.js';
export type { ImportTarget } from './stage.js';
export { getImport, importConflicts, importFinished, importRejects, listImports, startImport, type ImportJob } from './jobs.js';
export { registerImportRoutes } from './routes.js';
