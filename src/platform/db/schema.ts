import type { ColumnType, Generated } from 'kysely';

/**
 * The Kysely view of the schema. Each module owns its tables (declared here by module, in the order of the
 * migrations) and is the only one that writes them; others go through its index.ts.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string | T, string | T>;

// --- workspaces
export interface WorkspacesTable {
  id: string;
  name: string;
  timezone: ColumnType<string, string | undefined, string>;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: DefaultTimestamp;
}
export interface ApiKeysTable {
  id: string;
  workspace_id: string;
  kind: 'write' | 'admin';
  name: string;
  secret_hash: string;
  hint: string;
  created_at: DefaultTimestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

// --- identity (OneID) and profiles
export interface ProfilesTable {
  workspace_id: string;
  id: number;
  merged_into: number | null;
  traits: Json<Record<string, unknown>>;
  trait_times: Json<Record<string, string>>;
  first_seen_at: Timestamp | null;
  last_seen_at: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}
export interface IdentifierSettingsTable {
  workspace_id: string;
  type: string;
  priority: number;
  max_per_profile: number | null;
}
export interface IdentifiersTable {
  workspace_id: string;
  id: Generated<number>;
  type: string;
  value: string;
  profile_id: number | null;
  origin_profile_id: number | null;
  first_seen_at: Timestamp;
  created_at: DefaultTimestamp;
}
export interface IdentityLinksTable {
  workspace_id: string;
  a: number;
  b: number;
  event_time: Timestamp;
  message_id: string;
  created_at: DefaultTimestamp;
}
export interface IdentitySeparationsTable {
  workspace_id: string;
  id: Generated<number>;
  left_ids: number[];
  right_ids: number[];
  reason: string;
  created_by: string | null;
  created_at: DefaultTimestamp;
}
export interface IdentityConflictsTable {
  workspace_id: string;
  a: number;
  b: number;
  reason: string;
  message_id: string;
  event_time: Timestamp;
  created_at: DefaultTimestamp;
}
export interface IdentityPendingTable {
  workspace_id: string;
  identifier_id: number;
  created_at: DefaultTimestamp;
}
/** Scope of a queued change (migration 0101): everything, or only events of some names and / or traits. */
interface ProfileChangeScopeColumns {
  everything: ColumnType<boolean, boolean | undefined, boolean>;
  event_names: ColumnType<string[], string[] | undefined, string[]>;
  traits_changed: ColumnType<boolean, boolean | undefined, boolean>;
}
export interface ProfileChangesTable extends ProfileChangeScopeColumns {
  workspace_id: string;
  profile_id: number;
  changed_at: DefaultTimestamp;
  /** When the profile went on the feed; later writes to the row leave it (migration 0124): claims go oldest first. */
  queued_at: DefaultTimestamp;
  /** Write-only: true in a write that states its scope (see migration 0101); stored false. */
  scoped: ColumnType<boolean, boolean | undefined, boolean>;
}
export interface ProfileChangeClaimsTable extends ProfileChangeScopeColumns {
  workspace_id: string;
  claim: string;
  profile_id: number;
  claimed_at: DefaultTimestamp;
  queued_at: DefaultTimestamp;
}
export interface ProfileMergesTable {
  workspace_id: string;
  id: Generated<number>;
  kind: 'merge' | 'unmerge';
  profile_id: number;
  other_profile_id: number;
  identifier_ids: number[];
  reason: string;
  message_id: string | null;
  created_by: string | null;
  created_at: DefaultTimestamp;
  undone_at: Timestamp | null;
}

// --- events
export interface EventsTable {
  workspace_id: string;
  id: Generated<number>;
  message_id: string;
  type: string;
  event: string | null;
  identifier_id: number;
  profile_id: number | null;
  user_id: string | null;
  anonymous_id: string | null;
  timestamp: Timestamp;
  received_at: Timestamp;
  properties: Json<Record<string, unknown>> | null;
  traits: Json<Record<string, unknown>> | null;
  context: Json<Record<string, unknown>> | null;
}

// --- ingest intake (src/modules/ingest/intake.ts): requests accepted under load, applied in large batches
export interface IngestIntakeTable {
  id: Generated<number>;
  workspace_id: string;
  received_at: Timestamp;
  message_count: number;
  /** 'batch' (a /v1/batch envelope) or a message type (a single /v1/<type> body). */
  kind: string;
  payload: string;
  /** The sender's address, for messages without `context.ip` (null for in-process callers). */
  request_ip: string | null;
}
export interface IngestIntakeFailedTable {
  id: number;
  workspace_id: string;
  received_at: Timestamp;
  message_count: number;
  kind: string;
  payload: string;
  request_ip: string | null;
  error: string;
  failed_at: DefaultTimestamp;
}

// --- organisation
export interface StoresTable {
  workspace_id: string;
  id: string;
  name: string;
  city: string | null;
  address: string | null;
  created_at: DefaultTimestamp;
}
export interface GuidesTable {
  workspace_id: string;
  id: string;
  store_id: string | null;
  name: string;
  wecom_user_id: string | null;
  phone: string | null;
  created_at: DefaultTimestamp;
}

// --- orders
export type OrderStatus = 'pending' | 'paid' | 'partially_refunded' | 'refunded' | 'cancelled';
export interface OrdersTable {
  workspace_id: string;
  order_id: string;
  identifier_id: number;
  profile_id: number | null;
  store_id: string | null;
  guide_id: string | null;
  channel: string | null;
  status: OrderStatus;
  currency: ColumnType<string, string | undefined, string>;
  total_amount: number;
  discount_amount: ColumnType<number, number | undefined, number>;
  shipping_amount: ColumnType<number, number | undefined, number>;
  paid_amount: number;
  refunded_amount: ColumnType<number, number | undefined, number>;
  ordered_at: Timestamp;
  paid_at: Timestamp | null;
  refunded_at: Timestamp | null;
  cancelled_at: Timestamp | null;
  properties: Json<Record<string, unknown>> | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}
export interface OrderRefundsTable {
  workspace_id: string;
  order_id: string;
  refund_id: string;
  amount: number;
  items: Json<Array<{ sku: string; quantity: number }>> | null;
  refunded_at: Timestamp;
  created_at: DefaultTimestamp;
}
export interface OrderItemsTable {
  workspace_id: string;
  order_id: string;
  line: number;
  sku: string;
  name: string | null;
  category: string | null;
  quantity: number;
  price: number;
  refunded_quantity: ColumnType<number, number | undefined, number>;
}

// --- console users (src/modules/users)
export type UserRole = 'owner' | 'operator' | 'analyst' | 'guide';
export interface UsersTable {
  workspace_id: string;
  id: string;
  email: string;
  name: string;
  role: UserRole;
  guide_id: string | null;
  password_hash: string | null;
  invite_token_hash: string | null;
  invite_expires_at: Timestamp | null;
  invited_by: string | null;
  created_at: DefaultTimestamp;
  last_sign_in_at: Timestamp | null;
  disabled_at: Timestamp | null;
}
export interface SessionsTable {
  workspace_id: string;
  id: string;
  user_id: string;
  token_hash: string;
  user_agent: string | null;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
}

// --- channels (src/modules/channels)
export interface ChannelConfigsTable {
  workspace_id: string;
  id: string;
  channel: string;
  provider: string;
  name: string;
  settings: Json<Record<string, unknown>>;
  sealed_secrets: string;
  enabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}
export interface ChannelAccessTokensTable {
  workspace_id: string;
  provider: string;
  app_id: string;
  sealed_token: string | null;
  expires_at: Timestamp | null;
  refreshed_at: Timestamp | null;
}
export interface ChannelDeliveriesTable {
  workspace_id: string;
  id: string;
  idempotency_key: string;
  channel_config_id: string;
  channel: string;
  recipient: string;
  profile_id: number | null;
  status: 'sending' | 'sent' | 'delivered' | 'failed';
  attempts: ColumnType<number, number | undefined, number>;
  provider_message_id: string | null;
  error_kind: string | null;
  error_code: string | null;
  error_message: string | null;
  context: Json<Record<string, unknown>>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}
export interface ChannelInboundSeenTable {
  workspace_id: string;
  channel_config_id: string;
  dedup_key: string;
  received_at: DefaultTimestamp;
}
export interface ChannelUnsubscribesTable {
  workspace_id: string;
  channel: string;
  address: string;
  delivery_id: string | null;
  created_at: DefaultTimestamp;
}

// --- templates (src/modules/templates)
export interface MessageTemplatesTable {
  workspace_id: string;
  id: string;
  name: string;
  channel: string;
  parts: Json<Record<string, unknown>>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

// --- loyalty: points (src/modules/loyalty)
export type PointsEntryKind = 'earn' | 'redeem' | 'expire' | 'adjust' | 'reverse';
export interface LoyaltySettingsTable {
  workspace_id: string;
  settings: Json<Record<string, unknown>>;
  updated_at: DefaultTimestamp;
}
export interface PointsAccountsTable {
  workspace_id: string;
  profile_id: number;
  balance: ColumnType<number, number | undefined, number>;
  debt: ColumnType<number, number | undefined, number>;
  pending: ColumnType<number, number | undefined, number>;
  lifetime_earned: ColumnType<number, number | undefined, number>;
  updated_at: DefaultTimestamp;
}
export interface PointsEntriesTable {
  workspace_id: string;
  id: Generated<number>;
  profile_id: number;
  origin_profile_id: number;
  kind: PointsEntryKind;
  points: number;
  debt_delta: ColumnType<number, number | undefined, number>;
  reason: string;
  source_type: string;
  source_id: string | null;
  idempotency_key: string | null;
  created_by: string | null;
  created_at: DefaultTimestamp;
}
export interface PointsLotsTable {
  workspace_id: string;
  entry_id: number;
  profile_id: number;
  origin_profile_id: number;
  points: number;
  remaining: number;
  source_type: string;
  source_id: string | null;
  expires_at: Timestamp | null;
  created_at: DefaultTimestamp;
}
export interface PointsPendingTable {
  workspace_id: string;
  id: Generated<number>;
  profile_id: number;
  origin_profile_id: number;
  points: number;
  reason: string;
  source_type: string;
  source_id: string | null;
  idempotency_key: string;
  available_at: Timestamp;
  status: ColumnType<'pending' | 'released' | 'cancelled', 'pending' | 'released' | 'cancelled' | undefined, 'pending' | 'released' | 'cancelled'>;
  released_entry_id: number | null;
  created_at: DefaultTimestamp;
}
export interface PointsOrderGrantsTable {
  workspace_id: string;
  order_id: string;
  profile_id: number;
  origin_profile_id: number;
  rate: number;
  eligible_amount: number;
  granted_points: number;
  /** Steps up or moves to another customer so far (0305): part of their idempotency keys. */
  revision: Generated<number>;
  /** The amounts and lines it was last settled from (0307; null before): a different one is a correction. */
  basis: string | null;
  updated_at: DefaultTimestamp;
}
/** The loyalty worker's daily work per workspace (0306): the local day (YYYY-MM-DD) last claimed. */
export interface LoyaltyDailyRunsTable {
  workspace_id: string;
  day: string;
  status: 'running' | 'done';
  lease_until: Date;
  updated_at: DefaultTimestamp;
}
export interface PointsRuleUsageTable {
  workspace_id: string;
  profile_id: number;
  rule_id: string;
  day: ColumnType<string, string, string>;
  times: ColumnType<number, number | undefined, number>;
  points: ColumnType<number, number | undefined, number>;
}
// --- loyalty: coupons, members, check-in, mall (src/modules/loyalty)
export type CouponKind = 'fixed' | 'percentage' | 'threshold' | 'shipping' | 'gift';
export type CouponStatus = 'issued' | 'redeemed' | 'expired' | 'voided';
type Defaulted<T> = ColumnType<T, T | undefined, T>;
export interface CouponTemplatesTable {
  workspace_id: string;
  id: string;
  name: string;
  kind: CouponKind;
  amount: Defaulted<number>;
  percent_off: Defaulted<number>;
  max_discount: number | null;
  threshold: Defaulted<number>;
  gift_sku: string | null;
  scope: Json<{ skus?: string[]; categories?: string[]; stores?: string[]; channels?: string[] }>;
  valid_from: Timestamp | null;
  valid_until: Timestamp | null;
  valid_days: number | null;
  total_stock: number | null;
  issued_count: Defaulted<number>;
  per_member_limit: number | null;
  stacking: Defaulted<'exclusive' | 'combinable'>;
  combinable_with: Defaulted<string[]>;
  tiers: Defaulted<string[]>;
  code_mode: Defaulted<'unique' | 'shared'>;
  shared_code: string | null;
  return_on_refund: Defaulted<boolean>;
  status: Defaulted<'active' | 'paused' | 'archived'>;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}
export interface CouponsTable {
  workspace_id: string;
  id: Generated<number>;
  code: string;
  shared: Defaulted<boolean>;
  template_id: string;
  profile_id: number;
  origin_profile_id: number;
  status: Defaulted<CouponStatus>;
  source: string;
  source_id: string | null;
  idempotency_key: string | null;
  issued_at: DefaultTimestamp;
  valid_from: Timestamp | null;
  valid_until: Timestamp | null;
  redeemed_at: Timestamp | null;
  order_id: string | null;
  discount_amount: number | null;
  order_amount: number | null;
  returned_at: Timestamp | null;
  voided_at: Timestamp | null;
}
export interface CouponHoldingsTable {
  workspace_id: string;
  template_id: string;
  profile_id: number;
  count: number;
}
export interface CouponCampaignsTable {
  workspace_id: string;
  id: string;
  template_id: string;
  segment_id: string | null;
  profile_ids: number[] | null;
  status: Defaulted<'pending' | 'running' | 'done' | 'failed'>;
  total: number | null;
  processed: Defaulted<number>;
  issued: Defaulted<number>;
  skipped: Defaulted<number>;
  cursor: Defaulted<number>;
  error: string | null;
  created_by: string | null;
  created_at: DefaultTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}
export interface MemberTiersTable {
  workspace_id: string;
  id: string;
  name: string;
  rank: number;
  threshold: Defaulted<number>;
  benefits: Json<Record<string, unknown>>;
  created_at: DefaultTimestamp;
}
export interface MemberNumbersTable {
  workspace_id: string;
  next_value: number;
}
export interface MembersTable {
  workspace_id: string;
  origin_profile_id: number;
  profile_id: number;
  member_no: string;
  join_channel: string | null;
  store_id: string | null;
  joined_at: DefaultTimestamp;
  tier_id: string | null;
  tier_since: Timestamp | null;
  below_since: Timestamp | null;
  status: Defaulted<'active' | 'cancelled'>;
}
export interface TierHistoryTable {
  workspace_id: string;
  id: Generated<number>;
  profile_id: number;
  origin_profile_id: number;
  from_tier: string | null;
  to_tier: string | null;
  reason: string;
  qualifying: number | null;
  created_at: DefaultTimestamp;
}
export interface MemberTokensTable {
  workspace_id: string;
  token_hash: string;
  profile_id: number;
  origin_profile_id: number;
  created_at: DefaultTimestamp;
  expires_at: Timestamp;
  revoked_at: Timestamp | null;
}
export interface CheckinsTable {
  workspace_id: string;
  origin_profile_id: number;
  day: ColumnType<string, string, string>;
  profile_id: number;
  streak: number;
  points: Defaulted<number>;
  make_up: Defaulted<boolean>;
  created_at: DefaultTimestamp;
}
export interface MallItemsTable {
  workspace_id: string;
  id: string;
  name: string;
  kind: 'coupon' | 'goods';
  template_id: string | null;
  sku: string | null;
  points_price: number;
  stock: number | null;
  exchanged: Defaulted<number>;
  per_member_limit: number | null;
  tiers: Defaulted<string[]>;
  status: Defaulted<'active' | 'paused' | 'archived'>;
  created_at: DefaultTimestamp;
}
export interface MallExchangesTable {
  workspace_id: string;
  id: Generated<number>;
  item_id: string;
  profile_id: number;
  origin_profile_id: number;
  quantity: number;
  points: number;
  entry_id: number | null;
  coupon_ids: Defaulted<number[]>;
  idempotency_key: string;
  created_at: DefaultTimestamp;
}
// --- end loyalty

// --- rules tier: tags, segments, lifecycle (AIPL, RFM)
export interface TagGroupsTable {
  workspace_id: string;
  id: string;
  name: string;
  category: 'basic' | 'consumption' | 'preference' | 'social' | 'activity' | 'custom';
  description: string | null;
  created_at: DefaultTimestamp;
}
export interface TagsTable {
  workspace_id: string;
  id: string;
  group_id: string;
  name: string;
  description: string | null;
  kind: 'manual' | 'rule';
  rule: Json<unknown> | null;
  rule_value: ColumnType<string, string | undefined, string>;
  archived_at: Timestamp | null;
  merged_into: string | null;
  computed_at: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}
export type TagSource = 'manual' | 'rule' | 'import' | 'journey';
export interface TagAssignmentsTable {
  workspace_id: string;
  tag_id: string;
  profile_id: number;
  origin_profile_id: number;
  value: ColumnType<string, string | undefined, string>;
  source: TagSource;
  actor: string | null;
  assigned_at: DefaultTimestamp;
}
export interface TagHistoryTable {
  workspace_id: string;
  id: Generated<number>;
  tag_id: string;
  profile_id: number;
  origin_profile_id: number;
  action: 'apply' | 'remove';
  value: ColumnType<string, string | undefined, string>;
  cause: TagSource | 'merge' | 'archive';
  actor: string | null;
  at: DefaultTimestamp;
}
export interface SegmentsTable {
  workspace_id: string;
  id: string;
  name: string;
  description: string | null;
  kind: 'rule' | 'static';
  rule: Json<unknown> | null;
  size: ColumnType<number, number | undefined, number>;
  computed_at: Timestamp | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}
export interface SegmentMembersTable {
  workspace_id: string;
  segment_id: string;
  profile_id: number;
  origin_profile_id: number;
  entered_at: DefaultTimestamp;
}
/** One row per workspace: the last daily pass claimed (migration 0122), shared by every rules worker process. */
export interface RulesDailyRunsTable {
  workspace_id: string;
  /** The calendar day (YYYY-MM-DD, workspace time zone) of the last claimed pass. */
  day: string;
  status: 'running' | 'done';
  /** A running pass whose lease lapsed (its process died) may be claimed again. */
  lease_until: Date;
  updated_at: DefaultTimestamp;
}
export interface LifecycleSettingsTable {
  workspace_id: string;
  aipl: Json<unknown>;
  rfm: Json<unknown>;
  updated_at: DefaultTimestamp;
}
export interface ProfileLifecycleTable {
  workspace_id: string;
  profile_id: number;
  stage: 'A' | 'I' | 'P' | 'L';
  since: Timestamp;
}
export interface LifecycleHistoryTable {
  workspace_id: string;
  id: Generated<number>;
  profile_id: number;
  origin_profile_id: number;
  from_stage: string | null;
  to_stage: string | null;
  at: Timestamp;
}
export interface LifecycleDailyTable {
  workspace_id: string;
  day: ColumnType<string, string, string>;
  stage: string;
  profiles: number;
}
export interface ProfileRfmTable {
  workspace_id: string;
  profile_id: number;
  recency_days: number;
  frequency: number;
  monetary: number;
  r_score: number;
  f_score: number;
  m_score: number;
  class8: string;
  computed_at: Timestamp;
}

// ---- journeys (src/modules/journeys) ----
export interface JourneysTable {
  workspace_id: string;
  id: string;
  name: string;
  status: 'draft' | 'published' | 'paused' | 'archived';
  latest_version: ColumnType<number, number | undefined, number>;
  published_version: number | null;
  template_key: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}
export interface JourneyVersionsTable {
  workspace_id: string;
  journey_id: string;
  version: number;
  definition: Json<Record<string, unknown>>;
  created_at: DefaultTimestamp;
  published_at: Timestamp | null;
  /** Canvas positions by node id (presentation only). */
  layout: Json<Record<string, { x: number; y: number }>> | null;
}
export interface JourneyEntriesTable {
  workspace_id: string;
  id: Generated<number>;
  journey_id: string;
  version: number;
  profile_id: number;
  /** The profile the entry was made for, once a merge moved it elsewhere (else NULL). */
  origin_profile_id: ColumnType<number | null, number | null | undefined, number | null>;
  node_id: string;
  status: 'active' | 'finished' | 'exited';
  due_at: Timestamp;
  node_since: DefaultTimestamp;
  arrived: ColumnType<boolean, boolean | undefined, boolean>;
  wait_event: string | null;
  matched_event: Json<Record<string, unknown>> | null;
  trigger: ColumnType<Record<string, unknown>, string | undefined, string>;
  converted: ColumnType<boolean, boolean | undefined, boolean>;
  exit_reason: string | null;
  entered_at: DefaultTimestamp;
  finished_at: Timestamp | null;
}
export interface JourneyStepsTable {
  workspace_id: string;
  id: Generated<number>;
  entry_id: number;
  journey_id: string;
  version: number;
  profile_id: number;
  node_id: string | null;
  outcome: string;
  detail: Json<Record<string, unknown>> | null;
  at: DefaultTimestamp;
  /** The step that closed the entry right after this one, at the same node and time (migration 0256). */
  closing_outcome: string | null;
}
export interface JourneyOutboxTable {
  workspace_id: string;
  idempotency_key: string;
  entry_id: number;
  journey_id: string;
  version: number;
  profile_id: number;
  node_id: string;
  kind: 'send' | 'webhook' | 'points' | 'coupon';
  channel: string | null;
  marketing: ColumnType<boolean, boolean | undefined, boolean>;
  payload: Json<Record<string, unknown>>;
  status: 'pending' | 'in_flight' | 'done' | 'failed';
  attempts: ColumnType<number, number | undefined, number>;
  due_at: DefaultTimestamp;
  lease_until: Timestamp | null;
  result: Json<Record<string, unknown>> | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}
export interface JourneyCursorsTable {
  workspace_id: string;
  source: 'events' | 'tags';
  last_id: number;
  /** The unsettled stretch after last_id (see journeys/event-feed.ts). */
  pending: ColumnType<{ hi: number; waitFor: string[]; done: number[] } | null, string | null | undefined, string | null>;
  updated_at: DefaultTimestamp;
}
export interface JourneyScheduleRunsTable {
  workspace_id: string;
  journey_id: string;
  fire_key: string;
  entered: ColumnType<number, number | undefined, number>;
  at: DefaultTimestamp;
}

export interface DB {
  workspaces: WorkspacesTable;
  api_keys: ApiKeysTable;
  profiles: ProfilesTable;
  identifier_settings: IdentifierSettingsTable;
  identifiers: IdentifiersTable;
  identity_links: IdentityLinksTable;
  identity_separations: IdentitySeparationsTable;
  identity_conflicts: IdentityConflictsTable;
  identity_pending: IdentityPendingTable;
  profile_changes: ProfileChangesTable;
  profile_change_claims: ProfileChangeClaimsTable;
  profile_merges: ProfileMergesTable;
  events: EventsTable;
  ingest_intake: IngestIntakeTable;
  ingest_intake_failed: IngestIntakeFailedTable;
  stores: StoresTable;
  guides: GuidesTable;
  orders: OrdersTable;
  order_refunds: OrderRefundsTable;
  order_items: OrderItemsTable;
  tag_groups: TagGroupsTable;
  tags: TagsTable;
  tag_assignments: TagAssignmentsTable;
  tag_history: TagHistoryTable;
  segments: SegmentsTable;
  segment_members: SegmentMembersTable;
  rules_daily_runs: RulesDailyRunsTable;
  lifecycle_settings: LifecycleSettingsTable;
  profile_lifecycle: ProfileLifecycleTable;
  lifecycle_history: LifecycleHistoryTable;
  lifecycle_daily: LifecycleDailyTable;
  profile_rfm: ProfileRfmTable;
  users: UsersTable;
  sessions: SessionsTable;
  channel_configs: ChannelConfigsTable;
  channel_access_tokens: ChannelAccessTokensTable;
  channel_deliveries: ChannelDeliveriesTable;
  channel_inbound_seen: ChannelInboundSeenTable;
  channel_unsubscribes: ChannelUnsubscribesTable;
  message_templates: MessageTemplatesTable;
  loyalty_settings: LoyaltySettingsTable;
  points_accounts: PointsAccountsTable;
  points_entries: PointsEntriesTable;
  points_lots: PointsLotsTable;
  points_pending: PointsPendingTable;
  points_order_grants: PointsOrderGrantsTable;
  points_rule_usage: PointsRuleUsageTable;
  loyalty_daily_runs: LoyaltyDailyRunsTable;
  coupon_templates: CouponTemplatesTable;
  coupons: CouponsTable;
  coupon_holdings: CouponHoldingsTable;
  coupon_campaigns: CouponCampaignsTable;
  member_tiers: MemberTiersTable;
  member_numbers: MemberNumbersTable;
  members: MembersTable;
  tier_history: TierHistoryTable;
  member_tokens: MemberTokensTable;
  checkins: CheckinsTable;
  mall_items: MallItemsTable;
  mall_exchanges: MallExchangesTable;
  journeys: JourneysTable;
  journey_versions: JourneyVersionsTable;
  journey_entries: JourneyEntriesTable;
  journey_steps: JourneyStepsTable;
  journey_outbox: JourneyOutboxTable;
  journey_cursors: JourneyCursorsTable;
  journey_schedule_runs: JourneyScheduleRunsTable;
}
