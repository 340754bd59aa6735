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
const ZONE_MARGIN_MS = 14 * 3_600_000;

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
      // A window's first day starts at local midnight, within 14 hours of UTC's (UTC+14 is the earliest zone).
      else earliest = Math.min(earliest, from.getTime() - ZONE_MARGIN_MS);
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
  /**
   * The profiles whose traits to read (the others get none); absent: every profile's. The real-time pass asks only
   * where an owner it re-decides reads traits: for an event-only change, none do, and each profile's traits
   * document was sent and parsed for nothing.
   */
  traitsOf?: ReadonlySet<number>;
  /** false: no condition read reads event properties (ConditionNeeds.eventProperties): events come with null properties. */
  eventProperties?: boolean;
  /**
   * Narrower events: per profile, the only event names to read and, for each, the earliest time a condition reading
   * it looks at (undefined: all time). Each (profile, name) is one range of the (workspace, profile, event, time)
   * index; `eventNames` and `eventsSince` then do not apply. The real-time pass reads, for a profile where only
   * `Product Viewed` arrived, only its `Product Viewed` events, not those of every name the batch's rules read.
   */
  eventsOf?: ReadonlyMap<number, ReadonlyMap<string, Date | undefined>>;
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
  // Each profile by its key: with `id = ANY(…)` the planner scanned the workspace's whole profiles table (29k rows at
  // 20k profiles) for a batch of 500.
  const traitsOf = only?.traitsOf;
  const traits = !traitsOf
    ? sql`p.traits`
    : traitsOf.size === 0
      ? sql`NULL::jsonb`
      : sql`CASE WHEN x.pid = ANY(${[...traitsOf]}::bigint[]) THEN p.traits END`;
  const { rows: profiles } = await sql<{ id: number; traits: unknown }>`
    SELECT x.pid AS id, ${traits} AS traits FROM unnest(${profileIds}::bigint[]) AS x(pid)
    CROSS JOIN LATERAL (SELECT traits FROM profiles WHERE workspace_id = ${workspaceId} AND id = x.pid AND merged_into IS NULL OFFSET 0) p`.execute(db);
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
  const eventsOf = only?.eventsOf;
  const idsOf = {
    identifiers: idsFor('identifiers'), events: names.length || eventsOf ? idsFor('events') : [], orders: idsFor('orders'), items: idsFor('items'),
    tags: idsFor('tags'), segments: idsFor('segments'), stage: idsFor('stage'), rfm: idsFor('rfm'),
  };
  const when = <T>(ids: number[], load: (ids: number[]) => Promise<T[]>): Promise<T[]> => (ids.length === 0 ? Promise.resolve([]) : load(ids));
  const [identifiers, events, orders, items, tags, segments, stages, rfms] = await Promise.all([
    when(idsOf.identifiers, (ids) =>
      db.selectFrom('identifiers').select(['profile_id', 'type']).where('workspace_id', '=', workspaceId).where(sql<boolean>`profile_id = ANY(${ids}::bigint[])`).execute(),
    ),
    // Each profile through its (profile, time) index: `profile_id IN (…)` let the planner scan every event of the
    // named kinds in the workspace by (event, time) instead, a cost that grew with the workspace, not the batch.
    when(idsOf.events, (ids) => (eventsOf ? loadEventPairs(db, workspaceId, ids, eventsOf, now, only?.eventProperties !== false) : loadEvents(db, workspaceId, ids, names, now, eventsSince, only?.eventProperties !== false))),
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
    // Memberships: see loadMemberships.
    when(idsOf.tags, (ids) =>
      loadMemberships(db, workspaceId, 'tag_assignments', 'tag_id', sql`, value`, ids, only?.tagsOf, only?.tagIds, only?.pairsOnly) as Promise<Array<{ profile_id: number; key: string; value: string }>>,
    ),
    when(idsOf.segments, (ids) => loadMemberships(db, workspaceId, 'segment_members', 'segment_id', sql``, ids, only?.segmentsOf, only?.segmentIds, only?.pairsOnly)),
    when(idsOf.stage, (ids) =>
      sql<{ profile_id: number; stage: string }>`
        SELECT x.pid AS profile_id, l.stage FROM unnest(${ids}::bigint[]) AS x(pid)
        CROSS JOIN LATERAL (SELECT stage FROM profile_lifecycle WHERE workspace_id = ${workspaceId} AND profile_id = x.pid OFFSET 0) l`
        .execute(db)
        .then((r) => r.rows),
    ),
    // By key too: as `profile_id = ANY(ids)`, a table never analysed was read whole (7,402 RFM rows for 27 profiles).
    when(idsOf.rfm, (ids) =>
      sql<{ profile_id: number; r_score: number; f_score: number; m_score: number; class8: string }>`
        SELECT x.pid AS profile_id, r.r_score, r.f_score, r.m_score, r.class8 FROM unnest(${ids}::bigint[]) AS x(pid)
        CROSS JOIN LATERAL (
          SELECT r_score, f_score, m_score, class8 FROM profile_rfm WHERE workspace_id = ${workspaceId} AND profile_id = x.pid OFFSET 0
        ) r`
        .execute(db)
        .then((r) => r.rows),
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
    const values = state.tags.get(t.key) ?? new Set<string>();
    values.add(t.value);
    state.tags.set(t.key, values);
  }
  for (const s of segments) states.get(s.profile_id)?.segments.add(s.key);
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

type EventRow = { profile_id: number; event: string | null; timestamp: Date; properties: Record<string, unknown> | null };

/**
 * Each profile through its (profile, event, time) index: `profile_id IN (…)` let the planner scan every event of the
 * named kinds in the workspace by (event, time) instead, a cost that grew with the workspace, not the batch.
 */
async function loadEvents(db: Kysely<DB>, workspaceId: string, ids: number[], names: string[], now: Date, since: Date | undefined, properties: boolean): Promise<EventRow[]> {
  const { rows } = await sql<EventRow>`
    SELECT x.pid AS profile_id, e.event, e."timestamp", ${properties ? sql`e.properties` : sql`NULL::jsonb`} AS properties
    FROM unnest(${ids}::bigint[]) AS x(pid)
    CROSS JOIN LATERAL (
      SELECT event, "timestamp" ${properties ? sql`, properties` : sql``} FROM events
      WHERE workspace_id = ${workspaceId} AND profile_id = x.pid AND event = ANY(${names}::text[]) AND "timestamp" <= ${now}
        ${since ? sql`AND "timestamp" >= ${since}` : sql``}
      OFFSET 0
    ) e`.execute(db);
  return rows;
}

/**
 * Events by (profile, name, earliest time) triples: one range of the (workspace, profile, event, time) index each.
 * Sent as each profile's list of (name, earliest time) and the lists once each, as memberships are (pairsOf): most
 * profiles of a pass share one of a few lists, so a name and a time per profile were escaped, sent and parsed for
 * nothing.
 * The name and time bounds are one row comparison over (profile, event, time), the key of events_profile_event_time
 * (equivalent to `event = name AND time BETWEEN since AND now`): with `event = k.name` a plain condition, tables
 * never analysed (PGlite; a fresh PostgreSQL schema) had the planner take events_name_time (workspace, event, time)
 * INCLUDE (profile_id) and filter the profile, reading every event of that name in the workspace per probe (3
 * changed profiles of the demo brand: 14,240 rows read, 14.6 ms; a 35-profile pass 751,347 rows, 463 ms). A row
 * comparison can only bound an index whose key starts with profile_id; `profile_id = x.pid` stays for the estimate.
 */
async function loadEventPairs(
  db: Kysely<DB>,
  workspaceId: string,
  ids: number[],
  eventsOf: ReadonlyMap<number, ReadonlyMap<string, Date | undefined>>,
  now: Date,
  properties: boolean,
): Promise<EventRow[]> {
  const pids: number[] = [];
  const lists: number[] = [];
  const listOf: number[] = [];
  const names: string[] = [];
  const since: Array<Date | null> = [];
  const listIndex = new Map<ReadonlyMap<string, Date | undefined>, number>();
  for (const id of ids) {
    const wanted = eventsOf.get(id);
    if (!wanted || wanted.size === 0) continue;
    let list = listIndex.get(wanted);
    if (list === undefined) {
      list = listIndex.size;
      listIndex.set(wanted, list);
      for (const [name, from] of wanted) {
        listOf.push(list);
        names.push(name);
        since.push(from ?? null);
      }
    }
    pids.push(id);
    lists.push(list);
  }
  if (pids.length === 0) return [];
  const { rows } = await sql<EventRow>`
    SELECT x.pid AS profile_id, k.name AS event, e."timestamp", ${properties ? sql`e.properties` : sql`NULL::jsonb`} AS properties
    FROM unnest(${pids}::bigint[], ${lists}::int[]) AS x(pid, list)
    JOIN unnest(${listOf}::int[], ${names}::text[], ${since}::timestamptz[]) AS k(list, name, since) ON k.list = x.list
    CROSS JOIN LATERAL (
      SELECT "timestamp" ${properties ? sql`, properties` : sql``} FROM events
      WHERE workspace_id = ${workspaceId} AND profile_id = x.pid
        AND (profile_id, event, "timestamp") >= (x.pid, k.name, COALESCE(k.since, '-infinity'::timestamptz))
        AND (profile_id, event, "timestamp") <= (x.pid, k.name, ${now}::timestamptz)
      OFFSET 0
    ) e`.execute(db);
  return rows;
}

/**
 * Memberships (tags or segments) of some profiles, each profile through its own keys of the covering (workspace,
 * profile, key) index, so only rows that exist are visited; `OFFSET 0` keeps each lookup a lookup (flattened into a
 * join, the planner preferred to hash the workspace's whole tag_assignments, 265k rows at 20k profiles, as soon as
 * it knew a batch had 5,000 pairs; with `profile_id IN (…) AND tag_id IN (…)` it read every member of the named tags).
 * With `keysOf` (the keys each profile asks for): as (profile, key) pairs when they ask for up to 16 keys each (a
 * pair costs a probe whatever else the profile holds; a range visits every row of the profile, live or dead: on 500
 * profiles asking for 10 tags each, holding ~22 with 20 % dead rows, pairs took 29 ms of backend CPU and filtered
 * ranges 69 ms); otherwise (e.g. everything changed) one range per profile, filtered by the keys any of them asks for
 * (`IS TRUE`: a filter, not a key list PostgreSQL 15 would descend the index for once per element), and here to
 * each profile's own.
 * `pairsOnly` always uses pairs (see StateSelection.pairsOnly).
 */
async function loadMemberships(
  db: Kysely<DB>,
  workspaceId: string,
  table: 'tag_assignments' | 'segment_members',
  column: 'tag_id' | 'segment_id',
  extra: ReturnType<typeof sql>,
  ids: number[],
  keysOf: ReadonlyMap<number, string[]> | undefined,
  keys: string[] | undefined,
  pairsOnly = false,
): Promise<Array<{ profile_id: number; key: string; value?: string }>> {
  const col = sql.ref(column);
  type Row = { profile_id: number; key: string; value?: string };
  if (keysOf) {
    const pairs = pairsOf(ids, keysOf, pairsOnly);
    if (pairs) {
      if (pairs.pids.length === 0) return [];
      // The pairs as (profile, key list) and the key lists once each: most profiles of a pass share one of a few
      // lists (their change's), so ~1,000 profiles and ~50 keys are sent instead of ~10,000 pairs (each key a string
      // the driver escaped and the server parsed).
      const { rows } = await sql<Row>`
        SELECT x.pid AS profile_id, m.key ${extra}
        FROM unnest(${pairs.pids}::bigint[], ${pairs.lists}::int[]) AS x(pid, list)
        JOIN unnest(${pairs.listOfKey}::int[], ${pairs.keys}::text[]) AS k(list, key) ON k.list = x.list
        CROSS JOIN LATERAL (SELECT ${col} AS key ${extra} FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId} AND profile_id = x.pid AND ${col} = k.key OFFSET 0) m`.execute(db);
      return rows;
    }
    const union = [...new Set(ids.flatMap((id) => keysOf.get(id) ?? []))];
    const { rows } = await sql<Row>`
      SELECT x.pid AS profile_id, m.key ${extra} FROM unnest(${ids}::bigint[]) AS x(pid)
      CROSS JOIN LATERAL (
        SELECT ${col} AS key ${extra} FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId} AND profile_id = x.pid AND (${col} = ANY(${union}::text[])) IS TRUE
        OFFSET 0
      ) m`.execute(db);
    return rows.filter((r) => keysOf.get(r.profile_id)?.includes(r.key));
  }
  const { rows } = await sql<Row>`
    SELECT x.pid AS profile_id, m.key ${extra} FROM unnest(${ids}::bigint[]) AS x(pid)
    CROSS JOIN LATERAL (
      SELECT ${col} AS key ${extra} FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId} AND profile_id = x.pid
        ${keys ? sql`AND ${col} = ANY(${keys}::text[])` : sql``}
      OFFSET 0
    ) m`.execute(db);
  return rows;
}

/**
 * The (profile, key) pairs as each profile's key list (an index) and the distinct lists (arrays shared by several
 * profiles count once); undefined when they ask for more than a few keys each: then one range per profile reads less
 * than a probe per key.
 */
function pairsOf(
  ids: number[],
  keysOf: ReadonlyMap<number, string[]>,
  always = false,
): { pids: number[]; lists: number[]; listOfKey: number[]; keys: string[] } | undefined {
  const out = { pids: [] as number[], lists: [] as number[], listOfKey: [] as number[], keys: [] as string[] };
  const listIndex = new Map<string[], number>();
  let probes = 0;
  for (const id of ids) {
    const keys = keysOf.get(id);
    if (!keys || keys.length === 0) continue;
    let list = listIndex.get(keys);
    if (list === undefined) {
      list = listIndex.size;
      listIndex.set(keys, list);
      for (const key of new Set(keys)) {
        out.listOfKey.push(list);
        out.keys.push(key);
      }
    }
    out.pids.push(id);
    out.lists.push(list);
    probes += keys.length;
  }
  return !always && probes > MAX_PROBES_PER_PROFILE * ids.length ? undefined : out;
}
const MAX_PROBES_PER_PROFILE = 16;
