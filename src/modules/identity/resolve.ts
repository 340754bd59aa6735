import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { identifierKey, pickAnchor, type Identifier, type IdentifierRules } from './identifiers.js';
import { partition, type PartitionLink } from './partition.js';

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
 * upsert identifiers, record link facts (keeping each pair's earliest evidence), give brand-new people a profile
 * straight away, and leave everything that touches known identifiers in new ways to `recomputePending`.
 * Call with the workspace's shared ingest lock held (see locks.ts).
 */
export async function resolveBatch(trx: Trx, workspaceId: string, items: ResolveItem[], rules: IdentifierRules): Promise<ResolveResult> {
  const distinct = new Map<string, { type: string; value: string; first: Date }>();
  for (const item of items) {
    for (const i of item.identifiers) {
      const key = identifierKey(i);
      const seen = distinct.get(key);
      if (!seen) distinct.set(key, { type: i.type, value: i.value, first: item.time });
      else if (item.time < seen.first) seen.first = item.time;
    }
  }
  // Sorted, so concurrent batches take unique-index locks in one order and cannot deadlock.
  const all = [...distinct.values()].sort((x, y) => (x.type < y.type ? -1 : x.type > y.type ? 1 : x.value < y.value ? -1 : x.value > y.value ? 1 : 0));
  // Look up and insert only what is missing, in one statement: most traffic is from known people, and an
  // INSERT … ON CONFLICT of an existing identifier still costs an index probe and a sequence value.
  const rows: Row[] = [];
  const createdIds = new Set<number>();
  for (const r of await lookUpOrCreateIdentifiers(trx, workspaceId, all)) {
    rows.push(r);
    if (r.created) createdIds.add(r.id);
  }
  if (rows.length < all.length) {
    // Created meanwhile by another process's batch (ON CONFLICT DO NOTHING skipped them): read them as known.
    const have = new Set(rows.map((r) => identifierKey(r)));
    rows.push(...(await selectIdentifiers(trx, workspaceId, all.filter((i) => !have.has(identifierKey(i))))));
  }
  const byKey = new Map<string, Row>();
  for (const r of rows) byKey.set(identifierKey(r), r);

  // Link facts: a star from each record's anchor to its other identifiers.
  const anchors: Row[] = [];
  const linkByPair = new Map<string, PartitionLink>();
  for (const item of items) {
    const resolved = item.identifiers.map((i) => byKey.get(identifierKey(i))!);
    const anchor = pickAnchor(resolved, rules)!;
    anchors.push(anchor);
    for (const other of resolved) {
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

  // Which new identifiers can be settled here: those whose changed links reach only other new identifiers.
  const isNew = (id: number) => createdIds.has(id);
  const pending = new Set<number>();
  const localAdjacency = new Map<number, number[]>();
  for (const { a, b } of changed) {
    if (isNew(a) && isNew(b)) {
      (localAdjacency.get(a) ?? localAdjacency.set(a, []).get(a)!).push(b);
      (localAdjacency.get(b) ?? localAdjacency.set(b, []).get(b)!).push(a);
    } else {
      pending.add(a);
      pending.add(b);
    }
  }
  for (const r of rows) if (!isNew(r.id) && r.profile_id === null) pending.add(r.id); // left by an interrupted batch
  const settledLocally = new Map<number, number>(); // identifier id → profile id
  const newProfiles: number[] = [];
  const visited = new Set<number>();
  const localComponents: number[][] = [];
  for (const id of createdIds) {
    if (visited.has(id)) continue;
    const component: number[] = [];
    const stack = [id];
    visited.add(id);
    while (stack.length) {
      const x = stack.pop()!;
      component.push(x);
      for (const y of localAdjacency.get(x) ?? []) if (!visited.has(y)) visited.add(y), stack.push(y);
    }
    if (component.some((x) => pending.has(x))) component.forEach((x) => pending.add(x));
    else localComponents.push(component);
  }
  if (localComponents.length) {
    const rowById = new Map(rows.map((r) => [r.id, r]));
    const sets: number[][] = [];
    const componentOf = new Map<number, number>();
    localComponents.forEach((component, k) => component.forEach((id) => componentOf.set(id, k)));
    const linksOf = localComponents.map((): PartitionLink[] => []);
    for (const l of links) {
      const k = componentOf.get(l.a);
      if (k !== undefined && componentOf.get(l.b) === k) linksOf[k]!.push(l);
    }
    for (const [k, component] of localComponents.entries()) {
      const componentLinks = linksOf[k]!;
      const result = partition(component.map((id) => ({ id, type: rowById.get(id)!.type, value: rowById.get(id)!.value })), componentLinks, [], rules);
      sets.push(...result.sets);
      if (result.refused.length) await recordConflicts(trx, workspaceId, result.refused);
    }
    const firstSeenOf = (id: number) => distinct.get(identifierKey(rowById.get(id)!))!.first.getTime();
    const firstSeen = sets.map((set) => new Date(Math.min(...set.map(firstSeenOf))));
    const ids = await createProfilesFor(trx, workspaceId, sets, firstSeen);
    sets.forEach((set, i) => set.forEach((identifierId) => settledLocally.set(identifierId, ids[i]!)));
    newProfiles.push(...ids);
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

/** Reads the identifiers that exist and inserts the rest (in the given order: it is the lock order), in one statement. */
async function lookUpOrCreateIdentifiers(
  trx: Trx,
  workspaceId: string,
  ids: Array<{ type: string; value: string; first: Date }>,
): Promise<Array<Row & { created: boolean }>> {
  if (!ids.length) return [];
  const { rows } = await sql<Row & { created: boolean }>`
    WITH x AS (
      SELECT * FROM unnest(${ids.map((i) => i.type)}::text[], ${ids.map((i) => i.value)}::text[], ${ids.map((i) => i.first.toISOString())}::timestamptz[])
        WITH ORDINALITY AS x(t, v, f, ord)
    ), found AS (
      SELECT i.id, i.type, i.value, i.profile_id FROM identifiers i JOIN x ON i.type = x.t AND i.value = x.v WHERE i.workspace_id = ${workspaceId}
    ), created AS (
      INSERT INTO identifiers (workspace_id, type, value, first_seen_at)
      SELECT ${workspaceId}, x.t, x.v, x.f FROM x WHERE NOT EXISTS (SELECT 1 FROM found WHERE found.type = x.t AND found.value = x.v) ORDER BY x.ord
      ON CONFLICT (workspace_id, type, value) DO NOTHING
      RETURNING id, type, value, profile_id
    )
    SELECT id, type, value, profile_id, false AS created FROM found
    UNION ALL
    SELECT id, type, value, profile_id, true FROM created`.execute(trx);
  return rows;
}

async function selectIdentifiers(trx: Trx, workspaceId: string, ids: Array<{ type: string; value: string }>): Promise<Row[]> {
  if (!ids.length) return [];
  const { rows } = await sql<Row>`
    SELECT i.id, i.type, i.value, i.profile_id FROM identifiers i
    JOIN unnest(${ids.map((i) => i.type)}::text[], ${ids.map((i) => i.value)}::text[]) AS x(t, v) ON i.type = x.t AND i.value = x.v
    WHERE i.workspace_id = ${workspaceId}`.execute(trx);
  return rows;
}

/**
 * Writes each link's earliest evidence; returns the pairs that changed. Links whose stored evidence is already as
 * early are left out by the statement itself: ON CONFLICT DO UPDATE locks the existing row even when its WHERE is
 * false, so without the NOT EXISTS concurrent batches of the same people would queue behind each other until commit.
 * Links only ever get earlier (deletes hold the exclusive identity lock), so a link seen as earlier stays so.
 * Rows go in the caller's (sorted) order, so concurrent batches take index locks in one order.
 */
async function upsertEarliestLinks(trx: Trx, workspaceId: string, links: PartitionLink[]): Promise<Array<{ a: number; b: number }>> {
  if (!links.length) return [];
  const { rows } = await sql<{ a: number; b: number }>`
    INSERT INTO identity_links (workspace_id, a, b, event_time, message_id)
    SELECT ${workspaceId}, x.a, x.b, x.t, x.m
    FROM unnest(${links.map((l) => l.a)}::bigint[], ${links.map((l) => l.b)}::bigint[],
                ${links.map((l) => new Date(l.eventTime).toISOString())}::timestamptz[], ${links.map((l) => l.messageId)}::text[]) WITH ORDINALITY AS x(a, b, t, m, ord)
    WHERE NOT EXISTS (
      SELECT 1 FROM identity_links l
      WHERE l.workspace_id = ${workspaceId} AND l.a = x.a AND l.b = x.b AND (l.event_time, l.message_id) <= (x.t, x.m))
    ORDER BY x.ord
    ON CONFLICT (workspace_id, a, b) DO UPDATE SET event_time = excluded.event_time, message_id = excluded.message_id
    WHERE (excluded.event_time, excluded.message_id) < (identity_links.event_time, identity_links.message_id)
    RETURNING a, b`.execute(trx);
  return rows;
}

/**
 * Mints one profile per set of brand-new identifiers, inserts the profiles and points the identifiers at them: one
 * statement. Returns the profile ids in the order of `sets`.
 */
async function createProfilesFor(trx: Trx, workspaceId: string, sets: number[][], firstSeen: Date[]): Promise<number[]> {
  if (!sets.length) return [];
  const members = sets.flatMap((set, k) => set.map((id) => [id, k + 1] as const));
  const { rows } = await sql<{ ord: number; id: number }>`
    WITH minted AS MATERIALIZED (
      SELECT x.ord, nextval('profile_id_seq') AS id, x.f
      FROM unnest(${firstSeen.map((d) => d.toISOString())}::timestamptz[]) WITH ORDINALITY AS x(f, ord)
      ORDER BY x.ord
    ), created AS (
      INSERT INTO profiles (workspace_id, id, first_seen_at, last_seen_at) SELECT ${workspaceId}, id, f, f FROM minted
    ), pointed AS (
      UPDATE identifiers SET profile_id = m.id, origin_profile_id = m.id
      FROM unnest(${members.map(([id]) => id)}::bigint[], ${members.map(([, k]) => k)}::bigint[]) AS y(iid, ord) JOIN minted m ON m.ord = y.ord
      WHERE identifiers.workspace_id = ${workspaceId} AND identifiers.id = y.iid
    )
    SELECT ord, id FROM minted ORDER BY ord`.execute(trx);
  return rows.map((r) => Number(r.id));
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
