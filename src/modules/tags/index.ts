/** Tag groups and tags (manual and rule), assignments with full history, bulk CSV, rename/merge/archive, overlap. */
export { createTagGroup, listTagGroups, createTag, getTag, listTags, updateTag, archiveTag, mergeTag } from './service.js';
export { applyTag, removeTag, importTagCsv, profileTags, tagHistory, type ManualSource } from './assign.js';
export { recomputeRuleTag, applyRuleTagChanges, liveRuleTags, type RuleTagChange } from './materialise.js';
export { overlapReport } from './overlap.js';
export { remapTagRows, rowsOfOrigin } from './remap.js';
export { TagCategory, TagGroup, TagGroupInput, Tag, TagInput, TagUpdate, ApplyTagInput, TagHistoryEntry, ProfileTag, OverlapRef, OverlapReport } from './schema.js';
export { registerTagRoutes } from './routes.js';
