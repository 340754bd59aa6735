/**
 * The one place where modules' cross-cutting handlers are registered (profile remaps on merge/unmerge, deletes,
 * orders written).
 * Every entry point (server, CLI, worker, tests) calls wireModules() before doing work, so no process can re-shape
 * profiles without every module following.
 */
import { onOrdersWritten, onProfileDelete, onProfileRemap } from '../platform/hooks.js';
import { deleteChannelRows, setProfileEventSink } from './channels/index.js';
import { ingestMessages } from './ingest/index.js';
import { deleteLoyaltyRows, remapLoyaltyRows, settleLoyaltyForOrders } from './loyalty/index.js';
import { remapTagRows } from './tags/index.js';
import { deleteRulesTierRows, remapSegmentMembers } from './segments/index.js';
import { remapLifecycleRows } from './lifecycle/index.js';
import { deleteJourneyRows, remapJourneyRows } from './journeys/index.js';

let wired = false;

export function wireModules(): void {
  if (wired) return;
  wired = true;
  setProfileEventSink(ingestMessages); // channel facts (opens, clicks, WeChat/WeCom callbacks) → profile events
  onProfileRemap('loyalty', remapLoyaltyRows);
  onProfileDelete('loyalty', deleteLoyaltyRows);
  onOrdersWritten('loyalty', settleLoyaltyForOrders); // points per amount paid, reversed on refund; coupons returned
  onProfileRemap('tags', remapTagRows);
  onProfileRemap('segments', remapSegmentMembers);
  onProfileRemap('lifecycle', remapLifecycleRows);
  onProfileDelete('rules-tier', deleteRulesTierRows);
  onProfileRemap('journeys', remapJourneyRows);
  onProfileDelete('journeys', deleteJourneyRows);
  onProfileDelete('channels', deleteChannelRows);
}
