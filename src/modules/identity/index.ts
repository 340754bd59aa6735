export {
  DEFAULT_IDENTIFIER_RULES,
  identifierKey,
  isPlaceholder,
  normaliseEmail,
  normaliseIdentifier,
  normalisePhone,
  pickAnchor,
  type Identifier,
  type IdentifierRule,
  type IdentifierRules,
} from './identifiers.js';
export { partition, assignProfileIds, type PartitionLink, type PartitionResult } from './partition.js';
export type { ResolveItem, ResolveResult, ResolvedItem } from './resolve.js';
export type { RecomputeOutcome } from './recompute.js';
export { applyProfileTouches, markProfilesChanged, refreshDerivedProfileState, type ProfileChangeScope, type ProfileTouch } from './profile-state.js';
export { listIdentifierSettings, loadIdentifierRules, setIdentifierSetting, type IdentifierSetting } from './settings.js';
export {
  currentProfileOf,
  settleAllPendingIdentities,
  settlePendingIdentities,
  unmergeProfiles,
  writeWithIdentities,
} from './service.js';
export { lockIdentityExclusive, lockIdentityShared } from './locks.js';
export { BULK_IDENTIFIER_COLUMNS, BULK_PEOPLE_COLUMNS, bulkCandidates, bulkIdentifierRows, createBulkStage, writeNewPeopleInBulk, type BulkOutcome } from './bulk.js';
