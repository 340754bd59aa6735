import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { runProfileRemapHandlers, type ProfileRemap } from '../../platform/hooks.js';
import type { IdentifierRules } from './identifiers.js';
import { assignProfileIds, partition, type PartitionLink } from './partition.js';
import { mintProfileIds, recordConflicts } from './resolve.js';
import { refreshDerivedProfileState } from './profile-state.js';

type Trx = Transaction<DB>;

interface IdentifierRow {
  id: number;
  type: string;
  value: string;
  profile_id: number | null;
  origin_profile_id: number | null;
}

export interface RecomputeOutcome {
  /** Live profiles whose identifiers changed. */
  changedProfiles: number[];
  merges: Array<{ survivor: number; absorbed: number }>;
  splits: Array<{ restored: number; from: number }>;
}

/**
 * `= ${byKeys(ids)}`: the rows of an UPDATE … FROM unnest(…) found through an index on the key, whatever the
 * statistics. Joined to the unnest alone, tables never analysed (PGlite; a fresh PostgreSQL schema) had the planner
 * read the whole workspace's rows when a batch settled a few dozen components: 3,000 profiles, 9,000 identifiers,
 * 3,000 events and 15,000 orders read for 30 merges and 30 new devices (test/identity/settle-plans.test.ts; demo
 * brand, 30 components: 20,737 orders). `= ANY(ids)` with the ids written out is no better (30 ids of a table without
 * statistics are estimated as 15 % of it); an array from a subquery is estimated at 10 keys, which an index serves.
 */
const byKeys = (ids: number[]) => sql`ANY(ARRAY(SELECT unnest(${ids}::bigint[])))`;

export interface RecomputeCause {
  reason?: string;
  actor?: string | null;
}

/**
 * Re-derives the profiles of the components containing `seeds` from their link facts, and applies the difference:
 * identifiers, events and orders follow their identifiers to the new profiles, absorbed profiles redirect to their
 * survivor, restored ones come back, traits are recomputed, the merge log is written, and other modules' per-profile
 * rows are remapped. Call with the workspace's identity lock held exclusively.
 */
export async function recomputeComponents(trx: Trx, workspaceId: string, seeds: number[], rules: IdentifierRules, cause: RecomputeCause = {}): Promise<RecomputeOutcome> {
  const outcome: RecomputeOutcome = { changedProfiles: [], merges: [], splits: [] };
  if (!seeds.length) return outcome;
  // The component, walked from the seeds one key probe at a time (LATERAL … OFFSET 0, one branch per link
  // direction): joined as `a = c.id OR b = c.id`, the walk read every link and identifier of the workspace on tables
  // without statistics (35,009 rows for a 5-identifier component among 20,000; test/identity/probe-plans.test.ts).
  const nodes = (
    await sql<IdentifierRow>`
      WITH RECURSIVE comp(id) AS (
        SELECT unnest(${seeds}::bigint[])
        UNION
        SELECT n.id FROM comp c CROSS JOIN LATERAL (
          SELECT l.b AS id FROM identity_links l WHERE l.workspace_id = ${workspaceId} AND l.a = c.id
          UNION ALL
          SELECT l.a FROM identity_links l WHERE l.workspace_id = ${workspaceId} AND l.b = c.id
          OFFSET 0
        ) n
      )
      SELECT i.id, i.type, i.value, i.profile_id, i.origin_profile_id
      FROM comp CROSS JOIN LATERAL (
        SELECT id, type, value, profile_id, origin_profile_id FROM identifiers
        WHERE workspace_id = ${workspaceId} AND id = comp.id OFFSET 0
      ) i
      ORDER BY i.id`.execute(trx)
  ).rows;
  if (!nodes.length) return outcome;
  const ids = nodes.map((n) => n.id);
  // Each identifier's links by key (LATERAL … OFFSET 0): as `a = ANY(ids)` on tables without statistics the planner
  // took a bitmap of the workspace's whole identity_links_b and filtered it (43,941 links read for 160 when a batch
  // settled 30 components of the demo brand; test/identity/settle-plans.test.ts).
  const links = (
    await sql<{ a: number; b: number; event_time: Date; message_id: string }>`
      SELECT l.a, l.b, l.event_time, l.message_id FROM unnest(${ids}::bigint[]) AS x(id)
      CROSS JOIN LATERAL (
        SELECT a, b, event_time, message_id FROM identity_links WHERE workspace_id = ${workspaceId} AND a = x.id OFFSET 0
      ) l`.execute(trx)
  ).rows.map((l): PartitionLink => ({ a: l.a, b: l.b, eventTime: l.event_time.getTime(), messageId: l.message_id }));
  const separations = (
    await sql<{ left_ids: number[]; right_ids: number[] }>`
      SELECT left_ids, right_ids FROM identity_separations
      WHERE workspace_id = ${workspaceId} AND (left_ids && ${ids}::bigint[] OR right_ids && ${ids}::bigint[])
      ORDER BY id`.execute(trx)
  ).rows.map((s) => ({ left: s.left_ids.map(Number), right: s.right_ids.map(Number) }));

  const result = partition(nodes, links, separations, rules);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  // Assign first with placeholders (-1, -2, …) for sets no existing profile can serve, then mint that many ids.
  let placeholders = 0;
  const provisional = assignProfileIds(result.sets, (id) => byId.get(id)!.origin_profile_id, () => -++placeholders);
  const minted = await mintProfileIds(trx, placeholders);
  const profileOfSet = provisional.map((p) => (p < 0 ? minted[-p - 1]! : p));
  const newProfileOf = (id: number) => profileOfSet[result.setOf.get(id)!]!;

  // Identifiers that move, and the sets (live profiles) whose membership changed.
  const moved = nodes.filter((n) => n.profile_id !== newProfileOf(n.id) || n.origin_profile_id === null);
  const changedSets = new Set(moved.map((n) => result.setOf.get(n.id)!));
  for (const seed of seeds) if (result.setOf.has(seed)) changedSets.add(result.setOf.get(seed)!);

  // Every profile id this component has ever had, and where each now points.
  const involved = new Set<number>();
  for (const n of nodes) {
    if (n.profile_id !== null) involved.add(n.profile_id);
    if (n.origin_profile_id !== null) involved.add(n.origin_profile_id);
  }
  const live = new Set(profileOfSet);
  const previous = new Map(
    (
      await trx
        .selectFrom('profiles')
        .select(['id', 'merged_into'])
        .where('workspace_id', '=', workspaceId)
        .where(sql<boolean>`id = ${byKeys(involved.size ? [...involved] : [-1])}`)
        .execute()
    ).map((p) => [p.id, p.merged_into]),
  );
  const targetOf = (profileId: number): number => {
    if (live.has(profileId)) return profileId;
    const votes = new Map<number, number>();
    for (const n of nodes) {
      if (n.origin_profile_id === profileId || (n.origin_profile_id === null && n.profile_id === profileId)) {
        const p = newProfileOf(n.id);
        votes.set(p, (votes.get(p) ?? 0) + 1);
      }
    }
    let best = profileOfSet[0]!;
    let bestVotes = -1;
    for (const [p, v] of votes) if (v > bestVotes || (v === bestVotes && p < best)) [best, bestVotes] = [p, v];
    return best;
  };
  const remaps: ProfileRemap[] = [];
  const profileUpdates: Array<{ id: number; mergedInto: number | null }> = [];
  for (const p of [...involved].sort((x, y) => x - y)) {
    const target = targetOf(p);
    const before = previous.get(p);
    const beforeTarget = before === undefined || before === null ? p : before;
    const mergedInto = target === p ? null : target;
    if (before !== undefined && (before ?? null) !== mergedInto) profileUpdates.push({ id: p, mergedInto });
    if (beforeTarget !== target) remaps.push({ from: p, to: target });
    if (before === null && mergedInto !== null) outcome.merges.push({ survivor: target, absorbed: p });
    if (before !== null && before !== undefined && mergedInto === null) outcome.splits.push({ restored: p, from: before });
  }
  const toCreate = profileOfSet.filter((p) => !previous.has(p));
  if (toCreate.length) {
    await sql`INSERT INTO profiles (workspace_id, id) SELECT ${workspaceId}, id FROM unnest(${toCreate}::bigint[]) AS x(id)`.execute(trx);
  }
  if (profileUpdates.length) {
    await sql`
      UPDATE profiles SET merged_into = x.m, updated_at = now()
      FROM unnest(${profileUpdates.map((u) => u.id)}::bigint[], ${profileUpdates.map((u) => u.mergedInto)}::bigint[]) AS x(id, m)
      WHERE profiles.workspace_id = ${workspaceId} AND profiles.id = ${byKeys(profileUpdates.map((u) => u.id))} AND profiles.id = x.id`.execute(trx);
  }
  if (moved.length) {
    await sql`
      UPDATE identifiers SET profile_id = x.p, origin_profile_id = coalesce(identifiers.origin_profile_id, x.p)
      FROM unnest(${moved.map((n) => n.id)}::bigint[], ${moved.map((n) => newProfileOf(n.id))}::bigint[]) AS x(id, p)
      WHERE identifiers.workspace_id = ${workspaceId} AND identifiers.id = ${byKeys(moved.map((n) => n.id))} AND identifiers.id = x.id`.execute(trx);
  }
  // Events and orders follow their anchor identifier. Seeds include new anchors whose records wait with no profile.
  const follow = [...new Set([...moved.map((n) => n.id), ...seeds.filter((s) => byId.has(s))])].sort((x, y) => x - y);
  if (follow.length) {
    const targets = follow.map(newProfileOf);
    await sql`
      UPDATE events SET profile_id = x.p FROM unnest(${follow}::bigint[], ${targets}::bigint[]) AS x(id, p)
      WHERE events.workspace_id = ${workspaceId} AND events.identifier_id = ${byKeys(follow)} AND events.identifier_id = x.id
        AND events.profile_id IS DISTINCT FROM x.p`.execute(trx);
    await sql`
      UPDATE orders SET profile_id = x.p FROM unnest(${follow}::bigint[], ${targets}::bigint[]) AS x(id, p)
      WHERE orders.workspace_id = ${workspaceId} AND orders.identifier_id = ${byKeys(follow)} AND orders.identifier_id = x.id
        AND orders.profile_id IS DISTINCT FROM x.p`.execute(trx);
  }

  // Conflicts: what is refused now, and nothing that is no longer refused.
  await sql`DELETE FROM identity_conflicts WHERE workspace_id = ${workspaceId} AND a = ANY(${ids}::bigint[])`.execute(trx);
  await recordConflicts(trx, workspaceId, result.refused);

  outcome.changedProfiles = [...changedSets].map((i) => profileOfSet[i]!).sort((x, y) => x - y);
  await refreshDerivedProfileState(trx, workspaceId, outcome.changedProfiles);
  await writeMergeLog(trx, workspaceId, outcome, nodes, newProfileOf, result.accepted, cause);
  await runProfileRemapHandlers(trx, workspaceId, remaps);
  await sql`DELETE FROM identity_pending WHERE workspace_id = ${workspaceId} AND identifier_id = ANY(${ids}::bigint[])`.execute(trx);
  return outcome;
}

async function writeMergeLog(
  trx: Trx,
  workspaceId: string,
  outcome: RecomputeOutcome,
  nodes: IdentifierRow[],
  newProfileOf: (id: number) => number,
  accepted: PartitionLink[],
  cause: RecomputeCause,
): Promise<void> {
  const rows: Array<{ kind: 'merge' | 'unmerge'; profile: number; other: number; identifiers: number[]; reason: string; messageId: string | null }> = [];
  const describe = (id: number) => {
    const n = nodes.find((x) => x.id === id);
    return n ? `${n.type}:${n.value}` : String(id);
  };
  for (const { survivor, absorbed } of outcome.merges) {
    const absorbedIds = nodes.filter((n) => (n.origin_profile_id ?? n.profile_id) === absorbed).map((n) => n.id);
    const absorbedSet = new Set(absorbedIds);
    // The evidence: the first accepted link from the absorbed profile's identifiers into the rest of the survivor.
    const link = accepted.find(
      (l) => (absorbedSet.has(l.a) !== absorbedSet.has(l.b)) && newProfileOf(l.a) === survivor && newProfileOf(l.b) === survivor,
    );
    rows.push({
      kind: 'merge',
      profile: survivor,
      other: absorbed,
      identifiers: absorbedIds,
      reason: cause.reason ?? (link ? `${describe(link.a)} and ${describe(link.b)} appeared together in message ${link.messageId}` : 'identities linked'),
      messageId: link?.messageId ?? null,
    });
  }
  for (const { restored, from } of outcome.splits) {
    rows.push({
      kind: 'unmerge',
      profile: restored,
      other: from,
      identifiers: nodes.filter((n) => newProfileOf(n.id) === restored).map((n) => n.id),
      reason: cause.reason ?? 'identities separated',
      messageId: null,
    });
  }
  if (!rows.length) return;
  await trx
    .insertInto('profile_merges')
    .values(
      rows.map((r) => ({
        workspace_id: workspaceId,
        kind: r.kind,
        profile_id: r.profile,
        other_profile_id: r.other,
        identifier_ids: r.identifiers,
        reason: r.reason,
        message_id: r.messageId,
        created_by: cause.actor ?? null,
      })),
    )
    .execute();
}
