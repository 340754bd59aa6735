import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import type { ProfileState } from './evaluate.js';
import { windowBounds } from './clock.js';
import type { Condition } from './schema.js';

/** The event names a set of conditions looks at: the real-time evaluator loads only those events. */
export function eventNamesOf(conditions: Condition[]): Set<string> {
  const names = new Set<string>();
  const walk = (c: Condition) => {
    if (c.kind === 'and' || c.kind === 'or') c.conditions.forEach(walk);
    else if (c.kind === 'not') walk(c.condition);
    else if (c.kind === 'event' || c.kind === 'event_aggregate' || c.kind === 'event_time') names.add(c.event);
  };
  conditions.forEach(walk);
  return names;
}

/**
 * The earliest event time any of the conditions can look at (windows end at `now`), or undefined when one looks at
 * all time: the real-time evaluator then loads only that slice of each profile's events.
 */
export function eventHorizon(conditions: Condition[], now: Date): Date | undefined {
  let earliest = now.getTime();
  let unbounded = false;
  const walk = (c: Condition) => {
    if (c.kind === 'and' || c.kind === 'or') c.conditions.forEach(walk);
    else if (c.kind === 'not') walk(c.condition);
    else if (c.kind === 'event_time') unbounded = true;
    else if (c.kind === 'event' || c.kind === 'event_aggregate') {
      const from = windowBounds(c.window, now).from;
      if (!from) unbounded = true;
      else earliest = Math.min(earliest, from.getTime());
    }
  };
  conditions.forEach(walk);
  return unbounded ? undefined : new Date(earliest);
}

/** The parts of a profile's state beyond its traits, each loaded by one query. */
export type StatePart = 'identifiers' | 'events' | 'orders' | 'items' | 'tags' | 'segments' | 'stage' | 'rfm';

/**
 * Loading less: for each part, the profiles to load it for (a part not named is loaded for none), and optionally
 * only some tags' and segments' rows. The real-time pass asks only for what the rules it re-decides read.
 */
export interface StateSelection {
  parts: Partial<Record<StatePart, number[]>>;
  tagIds?: string[];
  segmentIds?: string[];
  /** Narrower still: per profile, the only tags (segments) whose rows to read (each pair looked up by its key). */
  tagsOf?: ReadonlyMap<number, string[]>;
  segmentsOf?: ReadonlyMap<number, string[]>;
  /** false: no condition read reads event properties (ConditionNeeds.eventProperties): events come with null properties. */
  eventProperties?: boolean;
  /**
   * Always look memberships up by (profile, key) pair, never read a profile's whole range (see pairsOf). The
   * embedded database asks for this: in the demo load the range reads grew PGlite's WebAssembly heap, which never
   * shrinks, by ~80 MB (bench/memory.ts: 400 against 328 MB after the load), more than the 400 MB budget can spare.
   */
  pairsOnly?: boolean;
}

/**
 * Loads the state of a few live profiles from their own rows (by the (workspace, profile) indexes), in one query
 * per table for the whole group (all parts for all profiles unless `only` says otherwise). Absorbed profiles are
 * skipped: their surviving profile is evaluated instead.
 */
export async function loadProfileStates(
  db: Kysely<DB>,
  workspaceId: string,
  profileIds: number[],
  eventNames: Set<string>,
  now: Date,
  eventsSince?: Date,
  only?: StateSelection,
): Promise<Map<number, ProfileState>> {
  const states = new Map<number, ProfileState>();
  if (profileIds.length === 0) return states;
  const profiles = await db
    .selectFrom('profiles')
    .select(['id', 'traits'])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', profileIds)
    .where('merged_into', 'is', null)
    .execute();
  for (const p of profiles) {
    states.set(p.id, {
      id: p.id,
      traits: (p.traits ?? {}) as Record<string, unknown>,
      identifierTypes: new Set(),
      events: [],
      orders: [],
      tags: new Map(),
      segments: new Set(),
      stage: null,
      rfm: null,
    });
  }
  if (states.size === 0) return states;
  const live = [...states.keys()];
  const idsFor = (part: StatePart): number[] => (only ? (only.parts[part] ?? []).filter((id) => states.has(id)) : live);
  const names = [...eventNames];
  const idsOf = {
    identifiers: idsFor('identifiers'), events: names.length ? idsFor('events') : [], orders: idsFor('orders'), items: idsFor('items'),
    tags: idsFor('tags'), segments: idsFor('segments'), stage: idsFor('stage'), rfm: idsFor('rfm'),
  };
  const when = <T>(ids: number[], load: (ids: number[]) => Promise<T[]>): Promise<T[]> => (ids.length === 0 ? Promise.resolve([]) : load(ids));
  const [identifiers, events, orders, items, tags, segments, stages, rfms] = await Promise.all([
    when(idsOf.identifiers, (ids) => db.selectFrom('identifiers').select(['profile_id', 'type']).where('workspace_id', '=', workspaceId).where('profile_id', 'in', ids).execute()),
    // Each profile through its (profile, time) index: `profile_id IN (…)` let the planner scan every event of the
    // named kinds in the workspace by (event, time) instead, a cost that grew with the workspace, not the batch.
    when(idsOf.events, (ids) =>
      sql<{ profile_id: number; event: string | null; timestamp: Date; properties: Record<string, unknown> | null }>`
          SELECT x.pid AS profile_id, e.event, e."timestamp", ${only?.eventProperties === false ? sql`NULL::jsonb` : sql`e.properties`} AS properties
          FROM unnest(${ids}::bigint[]) AS x(pid)
          CROSS JOIN LATERAL (
            SELECT event, "timestamp" ${only?.eventProperties === false ? sql`` : sql`, properties`} FROM events
            WHERE workspace_id = ${workspaceId} AND profile_id = x.pid AND event = ANY(${names}::text[]) AND "timestamp" <= ${now}
              ${eventsSince ? sql`AND "timestamp" >= ${eventsSince}` : sql``}
            OFFSET 0
          ) e`
        .execute(db)
        .then((r) => r.rows),
    ),
    when(idsOf.orders, (ids) =>
      sql<{ order_id: string; profile_id: number; ordered_at: Date; status: string; paid_amount: number; refunded_amount: number; store_id: string | null; channel: string | null }>`
      SELECT o.order_id, x.pid AS profile_id, o.ordered_at, o.status, o.paid_amount, o.refunded_amount, o.store_id, o.channel
      FROM unnest(${ids}::bigint[]) AS x(pid)
      CROSS JOIN LATERAL (SELECT * FROM orders WHERE workspace_id = ${workspaceId} AND profile_id = x.pid AND ordered_at <= ${now} OFFSET 0) o`
        .execute(db)
        .then((r) => r.rows),
    ),
    when(idsOf.items, (ids) =>
      sql<{ order_id: string; sku: string; category: string | null; quantity: number; refunded_quantity: number }>`
      SELECT i.order_id, i.sku, i.category, i.quantity, i.refunded_quantity
      FROM unnest(${ids}::bigint[]) AS x(pid)
      CROSS JOIN LATERAL (SELECT order_id FROM orders WHERE workspace_id = ${workspaceId} AND profile_id = x.pid AND ordered_at <= ${now} OFFSET 0) o
      CROSS JOIN LATERAL (SELECT * FROM order_items WHERE workspace_id = ${workspaceId} AND order_id = o.order_id OFFSET 0) i`
        .execute(db)
        .then((r) => r.rows),
    ),
    // Memberships through each profile's own keys: with `profile_id IN (…) AND tag_id IN (…)` the planner read
    // every member of the named tags (42k rows for 500 profiles × 11 tags at 20k profiles) and filtered them. With
    // pairs, each (profile, tag) is one probe of the covering (workspace, profile, tag) index and only rows that
    // exist are visited. `OFFSET 0` keeps each lookup a lookup: flattened into a join, the planner preferred to hash
    // the workspace's whole tag_assignments (265k rows at 20k profiles) as soon as it knew a batch had 5,000 pairs.
    when(idsOf.tags, (ids) => {
      const pairs = only?.tagsOf ? pairsOf(ids, only.tagsOf, only.pairsOnly) : undefined;
      return sql<{ profile_id: number; tag_id: string; value: string }>`
      SELECT x.pid AS profile_id, t.tag_id, t.value FROM ${pairs ? sql`unnest(${pairs.ids}::bigint[], ${pairs.keys}::text[]) AS x(pid, key)` : sql`unnest(${ids}::bigint[]) AS x(pid)`}
      CROSS JOIN LATERAL (
        SELECT tag_id, value FROM tag_assignments WHERE workspace_id = ${workspaceId} AND profile_id = x.pid
          ${pairs ? sql`AND tag_id = x.key` : only?.tagIds ? sql`AND tag_id = ANY(${only.tagIds}::text[])` : sql``}
        OFFSET 0
      ) t`
        .execute(db)
        .then((r) => r.rows);
    }),
    when(idsOf.segments, (ids) => {
      const pairs = only?.segmentsOf ? pairsOf(ids, only.segmentsOf, only.pairsOnly) : undefined;
      return sql<{ profile_id: number; segment_id: string }>`
      SELECT x.pid AS profile_id, m.segment_id FROM ${pairs ? sql`unnest(${pairs.ids}::bigint[], ${pairs.keys}::text[]) AS x(pid, key)` : sql`unnest(${ids}::bigint[]) AS x(pid)`}
      CROSS JOIN LATERAL (
        SELECT segment_id FROM segment_members WHERE workspace_id = ${workspaceId} AND profile_id = x.pid
          ${pairs ? sql`AND segment_id = x.key` : only?.segmentIds ? sql`AND segment_id = ANY(${only.segmentIds}::text[])` : sql``}
        OFFSET 0
      ) m`
        .execute(db)
        .then((r) => r.rows);
    }),
    when(idsOf.stage, (ids) => db.selectFrom('profile_lifecycle').select(['profile_id', 'stage']).where('workspace_id', '=', workspaceId).where('profile_id', 'in', ids).execute()),
    when(idsOf.rfm, (ids) =>
      db
        .selectFrom('profile_rfm')
        .select(['profile_id', 'r_score', 'f_score', 'm_score', 'class8'])
        .where('workspace_id', '=', workspaceId)
        .where('profile_id', 'in', ids)
        .execute(),
    ),
  ]);
  for (const i of identifiers) if (i.profile_id !== null) states.get(i.profile_id)?.identifierTypes.add(i.type);
  for (const e of events) {
    if (e.profile_id === null || e.event === null) continue;
    states.get(e.profile_id)?.events.push({ event: e.event, timestamp: e.timestamp, properties: e.properties });
  }
  const itemsByOrder = new Map<string, ProfileState['orders'][number]['items']>();
  for (const i of items) {
    const list = itemsByOrder.get(i.order_id) ?? [];
    list.push({ sku: i.sku, category: i.category, quantity: i.quantity, refundedQuantity: i.refunded_quantity });
    itemsByOrder.set(i.order_id, list);
  }
  for (const o of orders) {
    if (o.profile_id === null) continue;
    states.get(o.profile_id)?.orders.push({
      orderedAt: o.ordered_at,
      status: o.status,
      paidAmount: o.paid_amount,
      refundedAmount: o.refunded_amount,
      storeId: o.store_id,
      channel: o.channel,
      items: itemsByOrder.get(o.order_id) ?? [],
    });
  }
  for (const t of tags) {
    const state = states.get(t.profile_id);
    if (!state) continue;
    const values = state.tags.get(t.tag_id) ?? new Set<string>();
    values.add(t.value);
    state.tags.set(t.tag_id, values);
  }
  for (const s of segments) states.get(s.profile_id)?.segments.add(s.segment_id);
  for (const s of stages) {
    const state = states.get(s.profile_id);
    if (state) state.stage = s.stage;
  }
  for (const r of rfms) {
    const state = states.get(r.profile_id);
    if (state) state.rfm = { r: r.r_score, f: r.f_score, m: r.m_score, class8: r.class8 };
  }
  return states;
}

/**
 * (profile, key) pairs as two parallel arrays, for the profiles given; undefined when they ask for many keys each
 * (e.g. everything changed): then one range per profile, filtered, reads less than a probe per key.
 */
function pairsOf(ids: number[], keysOf: ReadonlyMap<number, string[]>, always = false): { ids: number[]; keys: string[] } | undefined {
  const out = { ids: [] as number[], keys: [] as string[] };
  for (const id of ids) {
    for (const key of keysOf.get(id) ?? []) {
      out.ids.push(id);
      out.keys.push(key);
    }
  }
  return !always && out.ids.length > MAX_PROBES_PER_PROFILE * ids.length ? undefined : out;
}
const MAX_PROBES_PER_PROFILE = 16;
