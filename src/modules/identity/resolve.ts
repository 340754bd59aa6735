import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { identifierKey, pickAnchor, type Identifier, type IdentifierRules } from './identifiers.js';
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

interface Row {
  id: number;
  type: string;
  value: string;
  profile_id: number | null;
}

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
 */
export async function resolveBatch(trx: Trx, workspaceId: string, items: ResolveItem[], rules: IdentifierRules): Promise<ResolveResult> {
  // Each record's identifier keys and anchor, worked out once (this runs for every event ingested).
  const keysOf = new Array<string[]>(items.length);
  const anchorAt = new Array<number>(items.length); // the anchor's position in the record's identifiers
  const distinct = new Map<string, { type: string; value: string; first: Date }>();
  for (let r = 0; r < items.length; r++) {
    const item = items[r]!;
    const ids = item.identifiers;
    const keys = new Array<string>(ids.length);
    for (let k = 0; k < ids.length; k++) {
      const i = ids[k]!;
      const key = (keys[k] = identifierKey(i));
      const seen = distinct.get(key);
      if (!seen) distinct.set(key, { type: i.type, value: i.value, first: item.time });
      else if (item.time < seen.first) seen.first = item.time;
    }
    keysOf[r] = keys;
    anchorAt[r] = ids.indexOf(pickAnchor(ids, rules)!);
  }
  // Sorted, so concurrent batches take unique-index locks in one order and cannot deadlock.
  const all = [...distinct.values()].sort((x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : x.value < y.value ? -1 : x.value > y.value ? 1 : 0));
  const byKey = new Map<string, Row>();
  for (const r of await selectIdentifiers(trx, workspaceId, all)) byKey.set(identifierKey(r), r);

  // The plan for the new identifiers, numbered in insert order (which is also the order of their ids): each record
  // links its anchor to its other identifiers. A group of new identifiers linked to a known one waits for a
  // recompute; any other group is partitioned here and each set becomes a new profile.
  const fresh = all.filter((i) => !byKey.has(identifierKey(i)));
  const freshNo = new Map<string, number>();
  fresh.forEach((i, n) => freshNo.set(identifierKey(i), n));
  const parent = fresh.map((_, n) => n);
  const root = (n: number): number => {
    while (parent[n] !== n) n = parent[n] = parent[parent[n]!]!;
    return n;
  };
  const touchesKnown = new Set<number>();
  const freshLinks = new Map<string, PartitionLink>();
  for (let r = 0; r < items.length; r++) {
    const item = items[r]!;
    const keys = keysOf[r]!;
    const anchorKey = keys[anchorAt[r]!]!;
    const an = freshNo.get(anchorKey);
    for (const otherKey of keys) {
      if (otherKey === anchorKey) continue;
      const on = freshNo.get(otherKey);
      if (an === undefined && on === undefined) continue;
      if (an === undefined || on === undefined) {
        touchesKnown.add((an ?? on)!);
        continue;
      }
      parent[root(an)] = root(on);
      const [a, b] = an < on ? [an, on] : [on, an];
      const link = { a, b, eventTime: item.time.getTime(), messageId: item.messageId };
      const key = `${a}:${b}`;
      const prev = freshLinks.get(key);
      if (!prev || link.eventTime < prev.eventTime || (link.eventTime === prev.eventTime && link.messageId < prev.messageId)) freshLinks.set(key, link);
    }
  }
  const waits = new Set<number>([...touchesKnown].map(root));
  const components = new Map<number, number[]>(); // root → new identifiers (numbers), for groups settled here
  fresh.forEach((_, n) => {
    const r = root(n);
    if (waits.has(r)) return;
    const c = components.get(r);
    if (c) c.push(n);
    else components.set(r, [n]);
  });
  const linksOf = new Map<number, PartitionLink[]>();
  for (const l of freshLinks.values()) {
    const r = root(l.a);
    if (components.has(r)) (linksOf.get(r) ?? linksOf.set(r, []).get(r)!).push(l);
  }
  const setOf = new Array<number | null>(fresh.length).fill(null); // new identifier → its set (1-based), if settled here
  const sets: Array<{ members: number[]; component: number }> = [];
  const refusedOf = new Map<number, RefusedLink[]>();
  for (const [r, component] of components) {
    const result = partition(component.map((n) => ({ id: n, type: fresh[n]!.type, value: fresh[n]!.value })), linksOf.get(r) ?? [], [], rules);
    for (const set of result.sets) {
      sets.push({ members: set, component: r });
      for (const n of set) setOf[n] = sets.length;
    }
    if (result.refused.length) refusedOf.set(r, result.refused);
  }

  const createdIds = new Set<number>();
  const inserted = await insertIdentifiers(trx, workspaceId, fresh, setOf, sets.length);
  for (const r of inserted) {
    byKey.set(identifierKey(r), r);
    createdIds.add(r.id);
  }
  // A new identifier another writer inserted meanwhile (ON CONFLICT skipped it; this waited for its commit) is known:
  // read it, and let the groups it belongs to wait for a recompute like any group linked to a known identifier.
  const spoilt = new Set<number>();
  if (inserted.length < fresh.length) {
    const missing = fresh.filter((i) => !byKey.has(identifierKey(i)));
    for (const r of await selectIdentifiers(trx, workspaceId, missing)) byKey.set(identifierKey(r), r);
    for (const i of missing) spoilt.add(root(freshNo.get(identifierKey(i))!));
    const demoted = inserted.filter((r) => r.profile_id !== null && spoilt.has(root(freshNo.get(identifierKey(r))!)));
    if (demoted.length) {
      await sql`
        UPDATE identifiers SET profile_id = NULL, origin_profile_id = NULL
        WHERE workspace_id = ${workspaceId} AND id = ANY(${demoted.map((r) => r.id)}::bigint[])`.execute(trx);
      for (const r of demoted) r.profile_id = null;
    }
  }
  const idOf = (n: number) => byKey.get(identifierKey(fresh[n]!))!.id;

  // Link facts: a star from each record's anchor to its other identifiers.
  const anchors: Row[] = [];
  const linkByPair = new Map<string, PartitionLink>();
  for (let r = 0; r < items.length; r++) {
    const item = items[r]!;
    const keys = keysOf[r]!;
    // The anchor row is the anchor identifier's (pickAnchor looks only at type and value).
    const anchor = byKey.get(keys[anchorAt[r]!]!)!;
    anchors.push(anchor);
    if (keys.length === 1) continue;
    for (const otherKey of keys) {
      const other = byKey.get(otherKey)!;
      if (other.id === anchor.id) continue;
      const [a, b] = anchor.id < other.id ? [anchor.id, other.id] : [other.id, anchor.id];
      const link = { a, b, eventTime: item.time.getTime(), messageId: item.messageId };
      const key = `${a}:${b}`;
      const prev = linkByPair.get(key);
      if (!prev || link.eventTime < prev.eventTime || (link.eventTime === prev.eventTime && link.messageId < prev.messageId)) linkByPair.set(key, link);
    }
  }
  const links = [...linkByPair.values()].sort((x, y) => x.a - y.a || x.b - y.b);
  const changed = await upsertEarliestLinks(trx, workspaceId, links);

  // Everything not settled here waits: links that changed between identifiers other than a settled group's own,
  // known identifiers still without a profile (left by an interrupted batch), and new ones inserted without one.
  const settledLocally = new Map<number, number>(); // identifier id → profile id
  for (const r of inserted) if (r.profile_id !== null) settledLocally.set(r.id, r.profile_id);
  const pending = new Set<number>();
  for (const { a, b } of changed) {
    if (!settledLocally.has(a) || !settledLocally.has(b)) {
      pending.add(a);
      pending.add(b);
    }
  }
  for (const r of byKey.values()) if (r.profile_id === null) pending.add(r.id);

  const newProfiles: number[] = [];
  const profileRows: Array<{ id: number; first: Date }> = [];
  for (const set of sets) {
    if (spoilt.has(set.component)) continue;
    const profileId = settledLocally.get(idOf(set.members[0]!))!;
    newProfiles.push(profileId);
    profileRows.push({ id: profileId, first: new Date(Math.min(...set.members.map((n) => fresh[n]!.first.getTime()))) });
  }
  if (profileRows.length) {
    await sql`
      INSERT INTO profiles (workspace_id, id, first_seen_at, last_seen_at)
      SELECT ${workspaceId}, x.id, x.f, x.f FROM unnest(${profileRows.map((p) => p.id)}::bigint[], ${profileRows.map((p) => p.first.toISOString())}::timestamptz[]) AS x(id, f)`.execute(trx);
  }
  for (const [r, refused] of refusedOf) {
    if (!spoilt.has(r)) await recordConflicts(trx, workspaceId, refused.map((l) => ({ ...l, a: Math.min(idOf(l.a), idOf(l.b)), b: Math.max(idOf(l.a), idOf(l.b)) })));
  }
  if (pending.size) {
    const ids = [...pending].sort((x, y) => x - y);
    await sql`
      INSERT INTO identity_pending (workspace_id, identifier_id)
      SELECT ${workspaceId}, id FROM unnest(${ids}::bigint[]) AS x(id)
      ON CONFLICT DO NOTHING`.execute(trx);
  }
  return {
    items: anchors.map((anchor) => ({ anchorId: anchor.id, profileId: settledLocally.get(anchor.id) ?? anchor.profile_id })),
    pending: [...pending],
    newProfiles,
  };
}

/**
 * Inserts new identifiers (in the given order: it is the lock order), each with the profile minted for its set when
 * it has one, in one statement. Returns the rows inserted; one another writer inserted first is skipped.
 */
async function insertIdentifiers(
  trx: Trx,
  workspaceId: string,
  ids: Array<{ type: string; value: string; first: Date }>,
  setOf: Array<number | null>,
  sets: number,
): Promise<Row[]> {
  if (!ids.length) return [];
  const { rows } = await sql<Row>`
    WITH minted AS MATERIALIZED (
      SELECT s, nextval('profile_id_seq') AS id FROM generate_series(1, ${sets}::int) AS s ORDER BY s
    )
    INSERT INTO identifiers (workspace_id, type, value, first_seen_at, profile_id, origin_profile_id)
    SELECT ${workspaceId}, x.t, x.v, x.f, m.id, m.id
    FROM unnest(${ids.map((i) => i.type)}::text[], ${ids.map((i) => i.value)}::text[], ${ids.map((i) => i.first.toISOString())}::timestamptz[], ${setOf}::int[])
      WITH ORDINALITY AS x(t, v, f, s, ord)
    LEFT JOIN minted m ON m.s = x.s
    ORDER BY x.ord
    ON CONFLICT (workspace_id, type, value) DO NOTHING
    RETURNING id, type, value, profile_id`.execute(trx);
  return rows;
}

/**
 * Looks each identifier up by its unique key, one index probe each. As a join, the planner hashed every identifier of
 * the workspace per batch (cost growing with the workspace); as a plain lateral equality it may pick the
 * (workspace, type, first_seen_at) index when statistics are missing (ties at one row) and scan a whole type per probe.
 * The row comparison with ORDER BY … LIMIT 1 can only be served in order by the unique key index: the first entry at
 * or after (type, value), kept when it is that identifier.
 */
async function selectIdentifiers(trx: Trx, workspaceId: string, ids: Array<{ type: string; value: string }>): Promise<Row[]> {
  if (!ids.length) return [];
  const { rows } = await sql<Row>`
    SELECT i.id, i.type, i.value, i.profile_id
    FROM unnest(${ids.map((i) => i.type)}::text[], ${ids.map((i) => i.value)}::text[]) AS x(t, v)
    CROSS JOIN LATERAL (
      SELECT i.id, i.type, i.value, i.profile_id FROM identifiers i
      WHERE i.workspace_id = ${workspaceId} AND (i.type, i.value) >= (x.t, x.v)
      ORDER BY i.type, i.value LIMIT 1
    ) i
    WHERE i.type = x.t AND i.value = x.v`.execute(trx);
  return rows;
}

/**
 * Writes each link's earliest evidence; returns the pairs that changed. Links whose stored evidence is already as
 * early are left out by the statement itself: ON CONFLICT DO UPDATE locks the existing row even when its WHERE is
 * false, so without the NOT EXISTS concurrent batches of the same people would queue behind each other until commit.
 * Links only ever get earlier (deletes hold the exclusive identity lock), so a link seen as earlier stays so.
 * Rows go in the caller's (sorted) order, so concurrent batches take index locks in one order. The stored link is
 * probed by its key, as in selectIdentifiers (a plain NOT EXISTS became a hash anti join over the workspace's links).
 */
async function upsertEarliestLinks(trx: Trx, workspaceId: string, links: PartitionLink[]): Promise<Array<{ a: number; b: number }>> {
  if (!links.length) return [];
  const { rows } = await sql<{ a: number; b: number }>`
    INSERT INTO identity_links (workspace_id, a, b, event_time, message_id)
    SELECT ${workspaceId}, x.a, x.b, x.t, x.m
    FROM unnest(${links.map((l) => l.a)}::bigint[], ${links.map((l) => l.b)}::bigint[],
                ${links.map((l) => new Date(l.eventTime).toISOString())}::timestamptz[], ${links.map((l) => l.messageId)}::text[]) WITH ORDINALITY AS x(a, b, t, m, ord)
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
