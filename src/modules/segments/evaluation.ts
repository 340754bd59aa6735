import { sql, type Kysely, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { computeRfm, refreshStages, snapshotDailyCounts } from '../lifecycle/index.js';
import { dependencyOrder, evaluate, eventHorizon, eventNamesOf, loadProfileStates, ruleGraph, workspaceContext, type Rule } from '../rules/index.js';
import { applyRuleTagChanges, liveRuleTags, recomputeRuleTag, type RuleTagChange } from '../tags/index.js';
import { applySegmentChanges, liveRuleSegments, recomputeRuleSegment, type SegmentChange } from './materialise.js';

/**
 * Keeps rule tags, rule segments and AIPL stages true. Real time: consume the profile_changes feed and re-decide
 * only those profiles from their own rows. Full: set-based recompute of one owner and everything depending on it,
 * or of everything (the daily pass, for time windows that lapse with no new data).
 */
interface Owner {
  key: string;
  kind: 'tag' | 'segment';
  id: string;
  rule: Rule;
  value: string;
}

async function ruleOwners(db: Kysely<DB>, workspaceId: string): Promise<Owner[]> {
  const [tags, segments, graph] = await Promise.all([liveRuleTags(db, workspaceId), liveRuleSegments(db, workspaceId), ruleGraph(db as Db, workspaceId)]);
  const owners = new Map<string, Owner>();
  for (const t of tags) owners.set(`tag:${t.id}`, { key: `tag:${t.id}`, kind: 'tag', id: t.id, rule: t.rule, value: t.value });
  for (const s of segments) owners.set(`segment:${s.id}`, { key: `segment:${s.id}`, kind: 'segment', id: s.id, rule: s.rule, value: '' });
  return dependencyOrder(graph, [...owners.keys()]).map((k) => owners.get(k)!);
}

/** Re-decides every rule tag and segment (and the AIPL stage) for these profiles; returns how many changed. */
export async function evaluateProfiles(db: Transaction<DB>, workspaceId: string, profileIds: number[], now: Date): Promise<{ changes: number }> {
  if (profileIds.length === 0) return { changes: 0 };
  await refreshStages(db, workspaceId, now, profileIds);
  const owners = await ruleOwners(db, workspaceId);
  if (owners.length === 0) return { changes: 0 };
  const ctx = await workspaceContext(db, workspaceId, now);
  const conditions = owners.map((o) => o.rule.condition);
  const states = await loadProfileStates(db, workspaceId, profileIds, eventNamesOf(conditions), now, eventHorizon(conditions, now));
  const tagChanges: RuleTagChange[] = [];
  const segmentChanges: SegmentChange[] = [];
  // In dependency order, updating the in-memory state, so a segment over a rule tag sees the tag's new answer.
  for (const owner of owners) {
    for (const state of states.values()) {
      const holds = evaluate(owner.rule.condition, state, ctx);
      if (owner.kind === 'tag') {
        if (holds === state.tags.has(owner.id)) continue;
        tagChanges.push({ tagId: owner.id, profileId: state.id, holds, value: owner.value });
        if (holds) state.tags.set(owner.id, new Set([owner.value]));
        else state.tags.delete(owner.id);
      } else {
        if (holds === state.segments.has(owner.id)) continue;
        segmentChanges.push({ segmentId: owner.id, profileId: state.id, holds });
        if (holds) state.segments.add(owner.id);
        else state.segments.delete(owner.id);
      }
    }
  }
  await applyRuleTagChanges(db, workspaceId, tagChanges, now);
  await applySegmentChanges(db, workspaceId, segmentChanges, now);
  return { changes: tagChanges.length + segmentChanges.length };
}

/** A claim older than this belongs to a worker that died mid-evaluation: its profiles go back on the feed. */
const STALE_CLAIM_MS = 10 * 60_000;

/**
 * Takes up to `limit` profiles off the change feed and re-evaluates them. The claim (moving the rows to
 * profile_change_claims) is its own short transaction, so ingest, which writes the feed, never waits for an
 * evaluation; a change that arrives while a profile is being evaluated goes back on the feed and is evaluated
 * again. The evaluation and the claim's release commit together; if the evaluation fails the profiles go back
 * at once, and if the process dies they go back when the claim turns stale. SKIP LOCKED lets several workers
 * share the feed on PostgreSQL.
 */
export async function processProfileChanges(db: Db, workspaceId: string, opts: { now?: Date; limit?: number } = {}): Promise<{ profiles: number; changes: number }> {
  const claim = crypto.randomUUID();
  const { rows } = await sql<{ profile_id: number }>`
    WITH taken AS (
      DELETE FROM profile_changes WHERE workspace_id = ${workspaceId} AND profile_id IN (
        SELECT profile_id FROM profile_changes WHERE workspace_id = ${workspaceId} ORDER BY changed_at LIMIT ${opts.limit ?? 500} FOR UPDATE SKIP LOCKED
      ) RETURNING profile_id
    )
    INSERT INTO profile_change_claims (workspace_id, claim, profile_id)
    SELECT ${workspaceId}, ${claim}, profile_id FROM taken
    RETURNING profile_id`.execute(db);
  if (rows.length === 0) return { profiles: 0, changes: 0 };
  try {
    return await db.transaction().execute(async (trx) => {
      const { changes } = await evaluateProfiles(trx, workspaceId, rows.map((r) => r.profile_id), opts.now ?? new Date());
      await sql`DELETE FROM profile_change_claims WHERE workspace_id = ${workspaceId} AND claim = ${claim}`.execute(trx);
      return { profiles: rows.length, changes };
    });
  } catch (err) {
    await releaseClaims(db, sql`workspace_id = ${workspaceId} AND claim = ${claim}`);
    throw err;
  }
}

/** Puts claimed profiles back on the change feed. */
async function releaseClaims(db: Db, where: ReturnType<typeof sql>): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    WITH back AS (DELETE FROM profile_change_claims WHERE ${where} RETURNING workspace_id, profile_id),
    ins AS (
      INSERT INTO profile_changes (workspace_id, profile_id) SELECT DISTINCT workspace_id, profile_id FROM back
      ON CONFLICT (workspace_id, profile_id) DO NOTHING
    )
    SELECT count(*)::int AS n FROM back`.execute(db);
  return rows[0]?.n ?? 0;
}

/** Returns the profiles of claims older than the stale limit (a worker died) to the change feed. */
export async function releaseStaleClaims(db: Db, now: Date = new Date()): Promise<number> {
  return releaseClaims(db, sql`claimed_at < ${new Date(now.getTime() - STALE_CLAIM_MS)}`);
}

/** Drains the change feed of every workspace once (the background worker calls this in a loop). */
export async function processAllProfileChanges(db: Db, opts: { now?: Date; limit?: number; workspaceId?: string } = {}): Promise<number> {
  await releaseStaleClaims(db);
  let q = db.selectFrom('profile_changes').select('workspace_id').distinct();
  if (opts.workspaceId) q = q.where('workspace_id', '=', opts.workspaceId);
  const workspaces = await q.execute();
  let total = 0;
  for (const { workspace_id } of workspaces) {
    for (;;) {
      const { profiles } = await processProfileChanges(db, workspace_id, opts);
      total += profiles;
      if (profiles < (opts.limit ?? 500)) break;
    }
  }
  return total;
}

/** Set-based recompute of one rule tag or segment, then of everything that depends on it. */
export async function recomputeWithDependents(db: Db, workspaceId: string, start: { kind: 'tag' | 'segment'; id: string }, now: Date): Promise<void> {
  const graph = await ruleGraph(db, workspaceId);
  const affected = new Set([`${start.kind}:${start.id}`]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [key, node] of graph) {
      if (!affected.has(key) && node.dependsOn.some((d) => affected.has(d))) {
        affected.add(key);
        grew = true;
      }
    }
  }
  for (const key of dependencyOrder(graph, [...affected])) await recomputeOwner(db, workspaceId, key, now);
}

async function recomputeOwner(db: Db, workspaceId: string, key: string, now: Date): Promise<void> {
  const [kind, ...rest] = key.split(':');
  const id = rest.join(':');
  if (kind === 'tag') await recomputeRuleTag(db, workspaceId, id, now);
  else await recomputeRuleSegment(db, workspaceId, id, now);
}

/** The daily pass: stages (and their daily counts), RFM, then every rule tag and segment in dependency order. */
export async function runDailyPass(db: Db, workspaceId: string, now = new Date()): Promise<void> {
  await refreshStages(db, workspaceId, now);
  await snapshotDailyCounts(db, workspaceId, now);
  await computeRfm(db, workspaceId, now);
  for (const owner of await ruleOwners(db, workspaceId)) await recomputeOwner(db, workspaceId, owner.key, now);
}
