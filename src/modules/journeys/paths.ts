import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { notFound } from '../../platform/errors.js';
import type { JourneyPath, JourneyStatus } from './schema.js';
import { loadDefinition } from './service.js';

/** A profile's journeys, newest entry first, each with every step: "why did she get this message?" */
export async function profileJourneyPaths(db: Db, workspaceId: string, profileId: number, opts: { journeyId?: string | undefined; limit?: number } = {}): Promise<JourneyPath[]> {
  let q = db
    .selectFrom('journey_entries as e')
    .innerJoin('journeys as j', (join) => join.onRef('j.workspace_id', '=', 'e.workspace_id').onRef('j.id', '=', 'e.journey_id'))
    .select(['e.id', 'e.journey_id', 'j.name', 'e.version', 'e.status', 'e.node_id', 'e.entered_at', 'e.finished_at', 'e.exit_reason', 'e.converted', 'e.trigger'])
    .where('e.workspace_id', '=', workspaceId)
    .where('e.profile_id', '=', profileId);
  if (opts.journeyId) q = q.where('e.journey_id', '=', opts.journeyId);
  const entries = await q.orderBy('e.id', 'desc').limit(opts.limit ?? 50).execute();
  if (entries.length === 0) return [];
  const steps = await db
    .selectFrom('journey_steps')
    .select(['entry_id', 'node_id', 'outcome', 'detail', 'at', 'closing_outcome'])
    .where('workspace_id', '=', workspaceId)
    .where('entry_id', 'in', entries.map((e) => e.id))
    .orderBy('id')
    .execute();
  return entries.map((e) => ({
    entryId: e.id,
    journeyId: e.journey_id,
    journeyName: e.name,
    version: e.version,
    status: e.status,
    nodeId: e.node_id,
    enteredAt: e.entered_at,
    finishedAt: e.finished_at,
    exitReason: e.exit_reason,
    converted: e.converted,
    steps: pathOf(e, steps.filter((s) => s.entry_id === e.id)),
  }));
}

/**
 * An entry's steps, first the `entered` step, which is the entry row itself (its trigger and entry time; see
 * enterFromQuery). Entries made before that still have it as a step row, which is taken as it is. A step carrying
 * the entry's closing step (`closing_outcome`, see advance.ts) is followed by it, at the same node and time.
 */
function pathOf(e: { trigger: unknown; entered_at: Date }, stored: Array<{ node_id: string | null; outcome: string; detail: unknown; at: Date; closing_outcome: string | null }>) {
  const steps = stored.flatMap((s) => {
    const step = { nodeId: s.node_id, outcome: s.outcome, detail: s.detail ?? null, at: s.at };
    return s.closing_outcome ? [step, { nodeId: s.node_id, outcome: s.closing_outcome, detail: null, at: s.at }] : [step];
  });
  if (steps.some((s) => s.outcome === 'entered' && s.nodeId === null)) return steps;
  return [{ nodeId: null, outcome: 'entered', detail: e.trigger ?? null, at: e.entered_at }, ...steps];
}

/**
 * Per journey and per node of its latest published (else latest) version: how many entries reached the node, are
 * waiting there now, left the journey there, and converted (met the goal) after passing it.
 */
export async function journeyStats(db: Db, workspaceId: string, journeyId: string) {
  const journey = await db.selectFrom('journeys').select(['latest_version', 'published_version']).where('workspace_id', '=', workspaceId).where('id', '=', journeyId).executeTakeFirst();
  if (!journey) throw notFound(`journey ${journeyId}`);
  const def = await loadDefinition(db, workspaceId, journeyId, journey.published_version ?? journey.latest_version);
  const { rows: totals } = await sql<{ entered: number; active: number; finished: number; exited: number; converted: number }>`
    SELECT count(*)::int AS entered, count(*) FILTER (WHERE status = 'active')::int AS active, count(*) FILTER (WHERE status = 'finished')::int AS finished,
      count(*) FILTER (WHERE status = 'exited')::int AS exited, count(*) FILTER (WHERE converted)::int AS converted
    FROM journey_entries WHERE workspace_id = ${workspaceId} AND journey_id = ${journeyId}`.execute(db);
  const { rows } = await sql<{ node_id: string; entered: number; waiting: number; exited: number; converted: number }>`
    WITH reached AS (
      SELECT DISTINCT s.entry_id, s.node_id FROM journey_steps s
      WHERE s.workspace_id = ${workspaceId} AND s.journey_id = ${journeyId} AND s.node_id IS NOT NULL
    )
    SELECT r.node_id, count(*)::int AS entered,
      count(*) FILTER (WHERE e.status = 'active' AND e.node_id = r.node_id)::int AS waiting,
      count(*) FILTER (WHERE e.status <> 'active' AND e.node_id = r.node_id)::int AS exited,
      count(*) FILTER (WHERE e.converted)::int AS converted
    FROM reached r JOIN journey_entries e ON e.workspace_id = ${workspaceId} AND e.id = r.entry_id
    GROUP BY r.node_id`.execute(db);
  const byNode = new Map(rows.map((r) => [r.node_id, r]));
  return {
    ...(totals[0] ?? { entered: 0, active: 0, finished: 0, exited: 0, converted: 0 }),
    nodes: def.nodes.map((n) => {
      const r = byNode.get(n.id);
      return { nodeId: n.id, type: n.type, entered: r?.entered ?? 0, waiting: r?.waiting ?? 0, exited: r?.exited ?? 0, converted: r?.converted ?? 0 };
    }),
  };
}

/**
 * The journeys that converted most (goal met), with how many entered: the overview's card. Journeys nobody entered
 * yet are listed only while live, after the rest; archived ones only for what they achieved.
 */
export async function topJourneys(db: Db, workspaceId: string, limit: number) {
  const { rows } = await sql<{ journeyId: string; name: string; status: JourneyStatus; entered: number; converted: number }>`
    SELECT j.id AS "journeyId", j.name, j.status, COALESCE(t.entered, 0)::int AS entered, COALESCE(t.converted, 0)::int AS converted
    FROM journeys j
    LEFT JOIN (
      SELECT journey_id, count(*) AS entered, count(*) FILTER (WHERE converted) AS converted FROM journey_entries
      WHERE workspace_id = ${workspaceId} GROUP BY journey_id
    ) t ON t.journey_id = j.id
    WHERE j.workspace_id = ${workspaceId} AND (t.entered > 0 OR j.status = 'published')
    ORDER BY converted DESC, entered DESC, j.created_at DESC, j.id
    LIMIT ${limit}`.execute(db);
  return rows.map((r) => ({ ...r, conversionRate: r.entered ? r.converted / r.entered : 0 }));
}
