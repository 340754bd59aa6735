import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { pickAnchor, type Identifier, type IdentifierRules } from './identifiers.js';
import { partition, type PartitionLink, type RefusedLink } from './partition.js';

type Trx = Transaction<DB>;

export interface ResolveItem {
  messageId: string;
  time: Date;
  identifiers: Identifier[];
}

export interface ResolvedItem {
  /** The identifier the record belongs to: its highest-priority identifier. */
  anchorId: number;
  /** The anchor's current profile; null only while a brand-new anchor waits for its component's recompute. */
  profileId: number | null;
}

export interface ResolveResult {
  items: ResolvedItem[];
  /** Identifiers whose component must be recomputed (merge, split or new link among known identifiers). */
  pending: number[];
  /** Profiles created in this batch for people never seen before. */
  newProfiles: number[];
}

/** One distinct identifier of a batch. */
interface Entry {
  type: string;
  value: string;
  /** Earliest event time (ms) among the batch's records that carry it. */
  first: number;
  /** Position in the batch's sorted identifier list, 1-based (the lookup statement's ordinality). */
  ord: number;
  /** Its row id once known (looked up or inserted), else -1. */
  id: number;
  profileId: number | null;
  /** Its number among the batch's new identifiers (insert order), -1 for known ones. */
  fresh: number;
  /** Inserted by this batch. */
  created: boolean;
  /** The batch's link evidence between this identifier (as a record's anchor) and each other identifier. */
  pairs: Map<Entry, Pair> | null;
}

/**
 * The earliest evidence in the batch that a record's anchor and another of its identifiers belong together. A pair
 * always has the same orientation: a record's anchor is its highest identifier in one total order (pickAnchor), so of
 * two identifiers only the higher can be the anchor of a record carrying both.
 */
interface Pair {
  anchor: Entry;
  other: Entry;
  eventTime: number;
  messageId: string;
  /** The stored link is already strictly earlier: nothing to write. */
  early: boolean;
}

const byTypeValue = (x: Entry, y: Entry) => (x.type < y.type ? -1 : x.type > y.type ? 1 : x.value < y.value ? -1 : x.value > y.value ? 1 : 0);

/**
 * Resolves a whole batch's identifiers in a few set-based statements, inside the ingest transaction:
 * look up the batch's identifiers, insert the new ones, record link facts (keeping each pair's earliest evidence),
 * give brand-new people a profile straight away, and leave everything that touches known identifiers in new ways to
 * `recomputePending`. Call with the workspace's shared ingest lock held (see locks.ts).
 *
 * Which new identifiers make up brand-new people is decided before they are inserted (their links reach only other
 * new identifiers of the batch: OneID's answer is then known in advance, as in bulk.ts), so they are inserted with
 * their profile id already set instead of being updated afterwards (each such update wrote a new entry in every index
 * of `identifiers`, the profile index among them).
 *
 * This runs for every event ingested, so the batch is indexed once into objects (a map per type, then per value: no
 * key string is built per identifier per event), and each record's links are gathered per pair as they are read.
 */
export async function resolveBatch(trx: Trx, workspaceId: string, items: ResolveItem[], rules: IdentifierRules): Promise<ResolveResult> {
  const byType = new Map<string, Map<string, Entry>>();
  const all: Entry[] = [];
  const pairs: Pair[] = []; // distinct, in order of first appearance
  const anchors = new Array<Entry>(items.length);
  const entryOf = (type: string, value: string, time: number): Entry => {
    let values = byType.get(type);
    if (values === undefined) byType.set(type, (values = new Map()));
    let e = values.get(value);
    if (e === undefined) {
      e = { type, value, first: time, ord: 0, id: -1, profileId: null, fresh: -1, created: false, pairs: null };
      values.set(value, e);
      all.push(e);
    } else if (time < e.first) e.first = time;
    return e;
  };
  for (let r = 0; r < items.length; r++) {
    const item = items[r]!;
    const ids = item.identifiers;
    const time = item.time.getTime();
    if (ids.length === 1) {
      anchors[r] = entryOf(ids[0]!.type, ids[0]!.value, time);
      continue;
    }
    const picked = pickAnchor(ids, rules)!;
    const entries = new Array<Entry>(ids.length);
    let anchor!: Entry;
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k]!;
      const e = (entries[k] = entryOf(i.type, i.value, time));
      if (i === picked) anchor = e;
    }
    anchors[r] = anchor;
    for (const other of entries) {
      if (other === anchor) continue;
      let ps = anchor.pairs;
      if (ps === null) anchor.pairs = ps = new Map();
      const p = ps.get(other);
      if (p === undefined) {
        const fresh: Pair = { anchor, other, eventTime: time, messageId: item.messageId, early: false };
        ps.set(other, fresh);
        pairs.push(fresh);
      } else if (time < p.eventTime || (time === p.eventTime && item.messageId < p.messageId)) {
        p.eventTime = time;
        p.messageId = item.messageId;
      }
    }
  }
  // Sorted, so concurrent batches take unique-index locks in one order and cannot deadlock.
  all.sort(byTypeValue);
  for (let k = 0; k < all.length; k++) all[k]!.ord = k + 1;
  await lookupIdentifiers(trx, workspaceId, all, pairs);

  // The plan for the new identifiers, numbered in insert order (which is also the order of their ids): each record
  // links its anchor to its other identifiers. A group of new identifiers linked to a known one waits for a
  // recompute; any other group is partitioned here and each set becomes a new profile.
  const fresh: Entry[] = [];
  for (const e of all) if (e.id < 0) e.fresh = fresh.push(e) - 1;
  const parent = fresh.map((_, n) => n);
  const root = (n: number): number => {
    while (parent[n] !== n) n = parent[n] = parent[parent[n]!]!;
    return n;
  };
  const touchesKnown = new Set<number>();
  const freshLinks: PartitionLink[] = [];
  if (fresh.length) {
    for (const p of pairs) {
      const an = p.anchor.fresh;
      const on = p.other.fresh;
      if (an < 0 && on < 0) continue;
      if (an < 0 || on < 0) {
        touchesKnown.add(an < 0 ? on : an);
        continue;
      }
      parent[root(an)] = root(on);
      freshLinks.push(an < on ? { a: an, b: on, eventTime: p.eventTime, messageId: p.messageId } : { a: on, b: an, eventTime: p.eventTime, messageId: p.messageId });
    }
  }
  const waits = new Set<number>([...touchesKnown].map(root));
  const components = new Map<number, number[]>(); // root → new identifiers (numbers), for groups settled here
  for (let n = 0; n < fresh.length; n++) {
    const r = root(n);
    if (waits.has(r)) continue;
    const c = components.get(r);
    if (c) c.push(n);
    else components.set(r, [n]);
  }
  const linksOf = new Map<number, PartitionLink[]>();
  for (const l of freshLinks) {
    const r = root(l.a);
    if (components.has(r)) (linksOf.get(r) ?? linksOf.set(r, []).get(r)!).push(l);
  }
  const setOf = new Array<number | null>(fresh.length).fill(null); // new identifier → its set (1-based), if settled here
  const sets: Array<{ members: number[]; component: number }> = [];
  const refusedOf = new Map<number, RefusedLink[]>();
  for (const [r, component] of components) {
    if (component.length === 1) {
      // One new identifier with no links (an anonymous first visit, most often): its own set, as partition would say.
      sets.push({ members: component, component: r });
      setOf[component[0]!] = sets.length;
      continue;
    }
    const result = partition(component.map((n) => ({ id: n, type: fresh[n]!.type, value: fresh[n]!.value })), linksOf.get(r) ?? [], [], rules);
    for (const set of result.sets) {
      sets.push({ members: set, component: r });
      for (const n of set) setOf[n] = sets.length;
    }
    if (result.refused.length) refusedOf.set(r, result.refused);
  }

  const inserted: Entry[] = [];
  for (const row of await insertIdentifiers(trx, workspaceId, fresh, setOf, sets.length)) {
    const e = byType.get(row.type)!.get(row.value)!;
    e.id = row.id;
    e.profileId = row.profile_id;
    e.created = true;
    inserted.push(e);
  }
  // A new identifier another writer inserted meanwhile (ON CONFLICT skipped it; this waited for its commit) is known:
  // read it, and let the groups it belongs to wait for a recompute like any group linked to a known identifier.
  const spoilt = new Set<number>();
  if (inserted.length < fresh.length) {
    const missing = fresh.filter((e) => e.id < 0);
    await lookupIdentifiers(trx, workspaceId, missing, []);
    for (const e of missing) spoilt.add(root(e.fresh));
    const demoted = inserted.filter((e) => e.profileId !== null && spoilt.has(root(e.fresh)));
    if (demoted.length) {
      await sql`
        UPDATE identifiers SET profile_id = NULL, origin_profile_id = NULL
        WHERE workspace_id = ${workspaceId} AND id = ANY(${demoted.map((e) => e.id)}::bigint[])`.execute(trx);
      for (const e of demoted) e.profileId = null;
    }
  }

  // Link facts: a star from each record's anchor to its other identifiers, but for pairs whose stored link the lookup
  // found already earlier (links only ever get earlier, so it still is).
  const links: PartitionLink[] = [];
  for (const p of pairs) {
    if (p.early) continue;
    const x = p.anchor.id;
    const y = p.other.id;
    links.push(x < y ? { a: x, b: y, eventTime: p.eventTime, messageId: p.messageId } : { a: y, b: x, eventTime: p.eventTime, messageId: p.messageId });
  }
  links.sort((x, y) => x.a - y.a || x.b - y.b);
  const changed = await upsertEarliestLinks(trx, workspaceId, links);

  // Everything not settled here waits: links that changed between identifiers other than a settled group's own,
  // known identifiers still without a profile (left by an interrupted batch), and new ones inserted without one.
  const settledLocally = new Set<number>(); // identifier ids inserted with their profile
  for (const e of inserted) if (e.profileId !== null) settledLocally.add(e.id);
  const pending = new Set<number>();
  for (const { a, b } of changed) {
    if (!settledLocally.has(a) || !settledLocally.has(b)) {
      pending.add(a);
      pending.add(b);
    }
  }
  for (const e of all) if (e.profileId === null) pending.add(e.id);

  const newProfiles: number[] = [];
  const profileIds: number[] = [];
  const profileFirst: string[] = [];
  for (const set of sets) {
    if (spoilt.has(set.component)) continue;
    const profileId = fresh[set.members[0]!]!.profileId!;
    let first = Infinity;
    for (const n of set.members) first = Math.min(first, fresh[n]!.first);
    newProfiles.push(profileId);
    profileIds.push(profileId);
    profileFirst.push(new Date(first).toISOString());
  }
  if (profileIds.length) {
    await sql`
      INSERT INTO profiles (workspace_id, id, first_seen_at, last_seen_at)
      SELECT ${workspaceId}, x.id, x.f, x.f FROM unnest(${profileIds}::bigint[], ${profileFirst}::timestamptz[]) AS x(id, f)`.execute(trx);
  }
  for (const [r, refused] of refusedOf) {
    if (!spoilt.has(r)) {
      await recordConflicts(trx, workspaceId, refused.map((l) => {
        const x = fresh[l.a]!.id;
        const y = fresh[l.b]!.id;
        return { ...l, a: Math.min(x, y), b: Math.max(x, y) };
      }));
    }
  }
  if (pending.size) {
    const ids = [...pending].sort((x, y) => x - y);
    await sql`
      INSERT INTO identity_pending (workspace_id, identifier_id)
      SELECT ${workspaceId}, id FROM unnest(${ids}::bigint[]) AS x(id)
      ON CONFLICT DO NOTHING`.execute(trx);
  }
  const resolved = new Array<ResolvedItem>(anchors.length);
  for (let r = 0; r < anchors.length; r++) resolved[r] = { anchorId: anchors[r]!.id, profileId: anchors[r]!.profileId };
  return { items: resolved, pending: [...pending], newProfiles };
}

/**
 * Inserts new identifiers (in the given order: it is the lock order), each with the profile minted for its set when
 * it has one, in one statement. Returns the rows inserted; one another writer inserted first is skipped.
 */
async function insertIdentifiers(
  trx: Trx,
  workspaceId: string,
  ids: Entry[],
  setOf: Array<number | null>,
  sets: number,
): Promise<Array<{ id: number; type: string; value: string; profile_id: number | null }>> {
  if (!ids.length) return [];
  const { rows } = await sql<{ id: number; type: string; value: string; profile_id: number | null }>`
    WITH minted AS MATERIALIZED (
      SELECT s, nextval('profile_id_seq') AS id FROM generate_series(1, ${sets}::int) AS s ORDER BY s
    )
    INSERT INTO identifiers (workspace_id, type, value, first_seen_at, profile_id, origin_profile_id)
    SELECT ${workspaceId}, x.t, x.v, x.f, m.id, m.id
    FROM unnest(${ids.map((i) => i.type)}::text[], ${ids.map((i) => i.value)}::text[], ${ids.map((i) => new Date(i.first).toISOString())}::timestamptz[], ${setOf}::int[])
      WITH ORDINALITY AS x(t, v, f, s, ord)
    LEFT JOIN minted m ON m.s = x.s
    ORDER BY x.ord
    ON CONFLICT (workspace_id, type, value) DO NOTHING
    RETURNING id, type, value, profile_id`.execute(trx);
  return rows;
}

/**
 * Looks the identifiers up (setting `id` and `profileId` of those found) and, in the same statement, the stored link
 * of each pair whose two identifiers are both found (marking `early` the pairs whose stored link is strictly earlier
 * than the batch's evidence: only ties and later ones go on to the upsert, which decides them exactly).
 *
 * Each identifier is probed by its unique key as the first entry at or after (type, value), kept when it is that
 * identifier: as a join, the planner hashed every identifier of the workspace per batch (cost growing with the
 * workspace). The row comparison with only a lower bound is what keeps the plan on the unique key index whatever the
 * statistics say: with an equality on type (or an upper bound, from which PostgreSQL derives one), a table without
 * statistics (PGlite never analyses; a fresh PostgreSQL workspace before autovacuum) was probed through the
 * (workspace, type, first_seen_at) index, reading every identifier of the type and sorting it, ~1.8 ms per event
 * (bench/ingest-apply.ts --no-analyze). The lower bound alone costs a little more per probe (the rest of the leaf
 * page is tested against it) and is safe. Links are probed the same way.
 */
async function lookupIdentifiers(trx: Trx, workspaceId: string, ids: Entry[], pairs: Pair[]): Promise<void> {
  if (!ids.length) return;
  const types = new Array<string>(ids.length);
  const values = new Array<string>(ids.length);
  for (let k = 0; k < ids.length; k++) {
    types[k] = ids[k]!.type;
    values[k] = ids[k]!.value;
  }
  if (!pairs.length) {
    const { rows } = await sql<{ k: number; id: number; profile_id: number | null }>`
      SELECT x.k::int AS k, i.id, i.profile_id
      FROM unnest(${types}::text[], ${values}::text[]) WITH ORDINALITY AS x(t, v, k)
      CROSS JOIN LATERAL (
        SELECT i.id, i.profile_id, i.type, i.value FROM identifiers i
        WHERE i.workspace_id = ${workspaceId} AND (i.type, i.value) >= (x.t, x.v)
        ORDER BY i.type, i.value LIMIT 1
      ) i
      WHERE i.type = x.t AND i.value = x.v`.execute(trx);
    for (const r of rows) {
      const e = ids[r.k - 1]!;
      e.id = r.id;
      e.profileId = r.profile_id;
    }
    return;
  }
  const pi = new Array<number>(pairs.length);
  const pj = new Array<number>(pairs.length);
  const pt = new Array<number>(pairs.length);
  for (let k = 0; k < pairs.length; k++) {
    const p = pairs[k]!;
    pi[k] = p.anchor.ord;
    pj[k] = p.other.ord;
    pt[k] = p.eventTime;
  }
  // Rows: k > 0 is identifier k (1-based); k < 0 marks pair -k as already linked earlier. The pairs reach their
  // identifiers' ids by position in one array (0 for an identifier not found, which no link has): a join of the pairs
  // to the looked-up rows was planned from guessed row counts (a merge join over sorts, and a cost that turned on JIT).
  const { rows } = await sql<{ k: number; id: number | null; profile_id: number | null }>`
    WITH found AS MATERIALIZED (
      SELECT x.k, coalesce(i.id, 0) AS id, i.profile_id
      FROM unnest(${types}::text[], ${values}::text[]) WITH ORDINALITY AS x(t, v, k)
      LEFT JOIN LATERAL (
        SELECT i.id, i.profile_id, i.type, i.value FROM identifiers i
        WHERE i.workspace_id = ${workspaceId} AND (i.type, i.value) >= (x.t, x.v)
        ORDER BY i.type, i.value LIMIT 1
      ) i ON i.type = x.t AND i.value = x.v
    ), f AS (SELECT array_agg(id ORDER BY k) AS ids FROM found)
    SELECT k::int AS k, id, profile_id FROM found WHERE id <> 0
    UNION ALL
    SELECT -p.k::int, NULL, NULL
    FROM f, unnest(${pi}::int[], ${pj}::int[], ${pt}::bigint[]) WITH ORDINALITY AS p(i, j, t, k)
    CROSS JOIN LATERAL (SELECT least(f.ids[p.i], f.ids[p.j]) AS a, greatest(f.ids[p.i], f.ids[p.j]) AS b) q
    CROSS JOIN LATERAL (
      SELECT l.a, l.b, l.event_time FROM identity_links l
      WHERE l.workspace_id = ${workspaceId} AND (l.a, l.b) >= (q.a, q.b)
      ORDER BY l.a, l.b LIMIT 1
    ) l
    WHERE l.a = q.a AND l.b = q.b AND l.event_time < timestamptz 'epoch' + p.t * interval '1 millisecond'`.execute(trx);
  for (const r of rows) {
    if (r.k > 0) {
      const e = ids[r.k - 1]!;
      e.id = r.id!;
      e.profileId = r.profile_id;
    } else pairs[-r.k - 1]!.early = true;
  }
}

/**
 * Writes each link's earliest evidence; returns the pairs that changed. Links whose stored evidence is already as
 * early are left out by the statement itself: ON CONFLICT DO UPDATE locks the existing row even when its WHERE is
 * false, so without the NOT EXISTS concurrent batches of the same people would queue behind each other until commit.
 * Links only ever get earlier (deletes hold the exclusive identity lock), so a link seen as earlier stays so.
 * Rows go in the caller's (sorted) order, so concurrent batches take index locks in one order. The stored link is
 * probed as the first entry at or after its key, as in lookupIdentifiers (a plain NOT EXISTS became a hash anti join
 * over the workspace's links).
 */
async function upsertEarliestLinks(trx: Trx, workspaceId: string, links: PartitionLink[]): Promise<Array<{ a: number; b: number }>> {
  if (!links.length) return [];
  const as = new Array<number>(links.length);
  const bs = new Array<number>(links.length);
  const ts = new Array<string>(links.length);
  const ms = new Array<string>(links.length);
  for (let k = 0; k < links.length; k++) {
    const l = links[k]!;
    as[k] = l.a;
    bs[k] = l.b;
    ts[k] = new Date(l.eventTime).toISOString();
    ms[k] = l.messageId;
  }
  const { rows } = await sql<{ a: number; b: number }>`
    INSERT INTO identity_links (workspace_id, a, b, event_time, message_id)
    SELECT ${workspaceId}, x.a, x.b, x.t, x.m
    FROM unnest(${as}::bigint[], ${bs}::bigint[], ${ts}::timestamptz[], ${ms}::text[]) WITH ORDINALITY AS x(a, b, t, m, ord)
    WHERE NOT EXISTS (
      SELECT 1 FROM (
        SELECT l.a, l.b, l.event_time, l.message_id FROM identity_links l
        WHERE l.workspace_id = ${workspaceId} AND (l.a, l.b) >= (x.a, x.b) ORDER BY l.a, l.b LIMIT 1
      ) l
      WHERE l.a = x.a AND l.b = x.b AND (l.event_time, l.message_id) <= (x.t, x.m))
    ORDER BY x.ord
    ON CONFLICT (workspace_id, a, b) DO UPDATE SET event_time = excluded.event_time, message_id = excluded.message_id
    WHERE (excluded.event_time, excluded.message_id) < (identity_links.event_time, identity_links.message_id)
    RETURNING a, b`.execute(trx);
  return rows;
}

export async function mintProfileIds(trx: Trx, n: number): Promise<number[]> {
  if (n === 0) return [];
  const { rows } = await sql<{ id: number }>`SELECT nextval('profile_id_seq') AS id FROM generate_series(1, ${n}::int)`.execute(trx);
  return rows.map((r) => r.id);
}

export async function recordConflicts(
  trx: Trx,
  workspaceId: string,
  refused: Array<{ a: number; b: number; eventTime: number; messageId: string; reason: string; type?: string }>,
): Promise<void> {
  if (!refused.length) return;
  const sorted = [...refused].sort((x, y) => x.a - y.a || x.b - y.b);
  await sql`
    INSERT INTO identity_conflicts (workspace_id, a, b, reason, message_id, event_time)
    SELECT ${workspaceId}, a, b, r, m, t
    FROM unnest(${sorted.map((l) => l.a)}::bigint[], ${sorted.map((l) => l.b)}::bigint[],
                ${sorted.map((l) => (l.reason === 'limit' ? `limit:${l.type}` : l.reason))}::text[], ${sorted.map((l) => l.messageId)}::text[],
                ${sorted.map((l) => new Date(l.eventTime).toISOString())}::timestamptz[]) AS x(a, b, r, m, t)
    ON CONFLICT (workspace_id, a, b) DO UPDATE SET reason = excluded.reason, message_id = excluded.message_id, event_time = excluded.event_time`.execute(trx);
}
