import { sql, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { effectKey, ruleHolds, runNode, type EntryState, type MoveContext, type OutboxIntent } from './nodes.js';
import type { OutboxRow } from './sender.js';
import { loadDefinition } from './service.js';

/**
 * The mover's outbox rows handed straight to a sender in the same process: written already claimed (`in_flight`,
 * attempt 1, leased until `leaseUntil`) and given to `take` once the chunk has committed, so the sender does not
 * claim them again (one UPDATE and a walk of the due index fewer per row). Rows are durable before any call, as
 * with a claim; if the process dies, they are claimed by another sender once the lease runs out.
 */
export interface OutboxHandoff {
  leaseUntil: Date;
  take(rows: OutboxRow[]): void;
}

/** A person moves through at most this many nodes per claim (graphs have no cycles; this bounds a chunk's work). */
const MAX_NODES_PER_CLAIM = 64;

interface EntryUpdate {
  ws: string;
  id: number;
  node_id: string;
  status: 'active' | 'finished' | 'exited';
  due_at: string;
  node_since: string;
  arrived: boolean;
  wait_event: string | null;
  exit_reason: string | null;
  converted: boolean;
  finished_at: string | null;
}

interface StepRow {
  ws: string;
  entry_id: number;
  journey_id: string;
  version: number;
  profile_id: number;
  node_id: string | null;
  outcome: string;
  detail: Record<string, unknown> | null;
  /** The entry's closing step, carried by this one (migration 0256). */
  closing_outcome?: string;
}

/**
 * Claims up to `limit` due positions and moves each person along until they wait or leave, all in one transaction:
 * position updates, path steps and outbox rows commit together or not at all. People in a paused journey are not
 * claimed and keep their due times: a timer that fell due during the pause fires as soon as the journey is resumed,
 * one due later fires at its own time (the claim passes over a paused journey's overdue people each time). A worker
 * killed mid-chunk leaves the rows as they were, to be claimed again. PostgreSQL workers claim with SKIP LOCKED and so share the work.
 */
/**
 * A low-water mark for a run of claims: `from` starts the walk of the due index there (every position due before it
 * was claimed by an earlier chunk, is locked by another worker, or is paused); each claim sets `last` to the latest
 * due time it took. Index entries of positions already moved stay in the due index until vacuum can remove them (not
 * while any transaction in the cluster is older than them), and a walk from the start reads them all again each chunk.
 */
export interface DueFloor {
  from?: Date;
  last?: Date;
}

export async function advanceDue(db: Db, now: Date, limit = 500, workspaceId?: string, freshWithinMs?: number, handoff?: OutboxHandoff, floor?: DueFloor): Promise<number> {
  // The fresh lane (freshWithinMs) takes only positions that fell due in the last moments, so a timer due now is not
  // queued behind a backlog of older ones (100,000 people released from the same minute).
  const fresh = freshWithinMs === undefined ? sql`` : sql`AND due_at > ${new Date(now.getTime() - freshWithinMs)}`;
  // Paused journeys are a list read once per claim (an InitPlan), not a join: planned as an anti-join, the claim
  // read and sorted every due position to keep 1,000 (800,000 due: 14.7 s and a 245 MB sort on disk per chunk); as
  // a filter the due index is walked in order and the walk stops at the limit.
  let handed: OutboxRow[] = [];
  const moved = await db.transaction().execute(async (trx) => {
    const { rows } = await sql<{
      workspace_id: string; id: number; journey_id: string; version: number; profile_id: number; node_id: string; node_since: Date;
      arrived: boolean; matched_event: Record<string, unknown> | null; trigger: Record<string, unknown>; entered_at: Date; due_at: Date;
    }>`SELECT workspace_id, id, journey_id, version, profile_id, node_id, node_since, arrived, matched_event, trigger, entered_at, due_at
      FROM journey_entries e WHERE status = 'active' AND due_at <= ${now} ${fresh} ${floor?.from ? sql`AND due_at >= ${floor.from}` : sql``}
        ${workspaceId ? sql`AND workspace_id = ${workspaceId}` : sql``}
        AND NOT (e.workspace_id || '/' || e.journey_id = ANY (ARRAY(SELECT workspace_id || '/' || id FROM journeys WHERE status = 'paused')))
      ORDER BY due_at LIMIT ${limit} FOR UPDATE OF e SKIP LOCKED`.execute(trx);
    if (rows.length === 0) return 0;
    if (floor) floor.last = rows.map((r) => r.due_at).reduce((a, b) => (a > b ? a : b));

    const workspaces = [...new Set(rows.map((r) => r.workspace_id))];
    const zones = new Map((await trx.selectFrom('workspaces').select(['id', 'timezone']).where('id', 'in', workspaces).execute()).map((w) => [w.id, w.timezone]));
    const statusOf = new Map<string, string>();
    for (const j of await trx.selectFrom('journeys').select(['workspace_id', 'id', 'status']).where('workspace_id', 'in', workspaces).where('id', 'in', [...new Set(rows.map((r) => r.journey_id))]).execute()) {
      statusOf.set(`${j.workspace_id}/${j.id}`, j.status);
    }
    const traitsOf = new Map<string, { traits: Record<string, unknown>; merged: boolean }>();
    for (const ws of workspaces) {
      const ids = rows.filter((r) => r.workspace_id === ws).map((r) => r.profile_id);
      // `= ANY(array)`: one parameter for the chunk's ids, not one per id (1,000 placeholders to build, send and parse).
      for (const p of await trx.selectFrom('profiles').select(['id', 'traits', 'merged_into']).where('workspace_id', '=', ws).where(sql<boolean>`id = ANY(${ids}::bigint[])`).execute()) {
        traitsOf.set(`${ws}/${p.id}`, { traits: (p.traits ?? {}) as Record<string, unknown>, merged: p.merged_into !== null });
      }
    }
    const channels = new Map<string, string | null>();
    const queuedSends = new Map<string, number>();
    const updates: EntryUpdate[] = [];
    const steps: StepRow[] = [];
    const outbox: Array<{ entry: EntryState; intent: OutboxIntent }> = [];

    for (const r of rows) {
      const entry: EntryState = {
        workspaceId: r.workspace_id, id: r.id, journeyId: r.journey_id, version: r.version, profileId: r.profile_id, nodeId: r.node_id,
        nodeSince: r.node_since, arrived: r.arrived, matchedEvent: r.matched_event, trigger: r.trigger ?? {},
      };
      const firstStep = steps.length;
      const step = (nodeId: string | null, outcome: string, detail?: Record<string, unknown>) =>
        steps.push({ ws: entry.workspaceId, entry_id: entry.id, journey_id: entry.journeyId, version: entry.version, profile_id: entry.profileId, node_id: nodeId, outcome, detail: detail ?? null });
      const base = { ws: entry.workspaceId, id: entry.id, node_id: entry.nodeId, node_since: entry.nodeSince.toISOString(), arrived: entry.arrived, wait_event: null, converted: false };
      const finish = (status: 'finished' | 'exited', reason: string, converted = false) => {
        updates.push({ ...base, node_id: entry.nodeId, status, due_at: now.toISOString(), exit_reason: reason, converted, finished_at: now.toISOString() });
        const outcome = `${status === 'finished' ? 'finished' : 'exited'}:${reason}`;
        // The closing step rides on this person's last step of the chunk when that one is at the same node (a send
        // node's `queued`, then `finished:completed`): one row fewer per person who finishes (migration 0256).
        const last = steps.length > firstStep ? steps[steps.length - 1] : undefined;
        if (last && last.node_id === entry.nodeId && last.closing_outcome === undefined) last.closing_outcome = outcome;
        else step(entry.nodeId, outcome);
      };

      const status = statusOf.get(`${entry.workspaceId}/${entry.journeyId}`);
      // Paused just now (after the claim's check): left exactly as it was, due time included.
      if (status === 'paused') continue;
      const profile = traitsOf.get(`${entry.workspaceId}/${entry.profileId}`);
      if (!profile || profile.merged || status === 'archived' || status === undefined) {
        finish('exited', !profile || profile.merged ? 'profile_gone' : 'journey_archived');
        continue;
      }
      const def = await loadDefinition(trx, entry.workspaceId, entry.journeyId, entry.version);
      const goal = def.policies.goal?.rule;
      if (goal && (await ruleHolds(trx, entry.workspaceId, entry.profileId, goal, now))) {
        finish('exited', 'goal_met', true);
        continue;
      }
      const exitRule = def.policies.exitCriteria?.rule;
      if (exitRule && (await ruleHolds(trx, entry.workspaceId, entry.profileId, exitRule, now))) {
        finish('exited', 'exit_criteria');
        continue;
      }
      const ctx: MoveContext = {
        trx, now, workspaceTimeZone: zones.get(entry.workspaceId) ?? 'UTC', traits: profile.traits, queuedSends,
        channelOf: async (configId) => {
          const key = `${entry.workspaceId}/${configId}`;
          if (!channels.has(key)) {
            const c = await trx.selectFrom('channel_configs').select('channel').where('workspace_id', '=', entry.workspaceId).where('id', '=', configId).executeTakeFirst();
            channels.set(key, c?.channel ?? null);
          }
          return channels.get(key) ?? null;
        },
      };
      await moveOne(def, entry, ctx, { step, finish, wait: (u) => updates.push({ ...base, ...u }), outbox: (intent) => outbox.push({ entry: { ...entry }, intent }) });
    }
    handed = await writeChunk(trx, updates, steps, outbox, now, handoff?.leaseUntil);
    return rows.length;
  });
  if (handoff && handed.length) handoff.take(handed);
  return moved;
}

interface Sinks {
  step(nodeId: string | null, outcome: string, detail?: Record<string, unknown>): void;
  finish(status: 'finished' | 'exited', reason: string, converted?: boolean): void;
  wait(u: Omit<EntryUpdate, 'ws' | 'id' | 'converted'>): void;
  outbox(intent: OutboxIntent): void;
}

async function moveOne(def: Awaited<ReturnType<typeof loadDefinition>>, entry: EntryState, ctx: MoveContext, sinks: Sinks): Promise<void> {
  for (let hop = 0; hop < MAX_NODES_PER_CLAIM; hop++) {
    const node = def.nodes.find((n) => n.id === entry.nodeId);
    if (!node) return sinks.finish('exited', 'node_missing');
    const result = await runNode(node, def, entry, ctx);
    if (result.kind === 'wait') {
      if (!entry.arrived || result.outcome.startsWith('held')) sinks.step(node.id, result.outcome, { ...result.detail, until: result.until.toISOString() });
      return sinks.wait({
        node_id: node.id, status: 'active', due_at: result.until.toISOString(), node_since: (entry.arrived ? entry.nodeSince : ctx.now).toISOString(),
        arrived: true, wait_event: result.waitEvent ?? null, exit_reason: null, finished_at: null,
      });
    }
    if (result.kind === 'exit') {
      sinks.step(node.id, result.outcome);
      entry.arrived = true;
      return sinks.finish('exited', result.reason);
    }
    sinks.step(node.id, result.outcome, result.detail);
    if (result.outbox) sinks.outbox(result.outbox);
    const edge = def.edges.find((e) => e.from === node.id && e.branch === result.branch);
    if (!edge) return sinks.finish('finished', 'completed');
    entry.nodeId = edge.to;
    entry.nodeSince = ctx.now;
    entry.arrived = false;
    entry.matchedEvent = null;
  }
  // Out of budget: stay at the current node, not yet run, due now (the next claim continues).
  sinks.wait({ node_id: entry.nodeId, status: 'active', due_at: ctx.now.toISOString(), node_since: ctx.now.toISOString(), arrived: false, wait_event: null, exit_reason: null, finished_at: null });
}

/** Writes a chunk's moves; with `claimedUntil`, its outbox rows are written claimed and returned (see OutboxHandoff). */
async function writeChunk(trx: Transaction<DB>, updates: EntryUpdate[], steps: StepRow[], outbox: Array<{ entry: EntryState; intent: OutboxIntent }>, now: Date, claimedUntil?: Date): Promise<OutboxRow[]> {
  if (updates.length) {
    await sql`UPDATE journey_entries e SET node_id = u.node_id, status = u.status, due_at = u.due_at, node_since = u.node_since, arrived = u.arrived,
        wait_event = u.wait_event, exit_reason = u.exit_reason, converted = u.converted, finished_at = u.finished_at, matched_event = NULL
      FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb) AS u(ws text, id bigint, node_id text, status text, due_at timestamptz, node_since timestamptz,
        arrived boolean, wait_event text, exit_reason text, converted boolean, finished_at timestamptz)
      WHERE e.workspace_id = ANY(${[...new Set(updates.map((u) => u.ws))]}::text[]) AND e.id = ANY(${updates.map((u) => u.id)}::bigint[])
        AND e.workspace_id = u.ws AND e.id = u.id`.execute(trx);
  }
  if (steps.length) {
    await sql`INSERT INTO journey_steps (workspace_id, entry_id, journey_id, version, profile_id, node_id, outcome, detail, at, closing_outcome)
      SELECT s.ws, s.entry_id, s.journey_id, s.version, s.profile_id, s.node_id, s.outcome, s.detail, ${now}, s.closing_outcome
      FROM jsonb_to_recordset(${JSON.stringify(steps)}::jsonb) AS s(ws text, entry_id bigint, journey_id text, version int, profile_id bigint, node_id text, outcome text, detail jsonb,
        closing_outcome text)`.execute(trx);
  }
  if (outbox.length) {
    const rows = outbox.map(({ entry, intent }) => ({
      ws: entry.workspaceId, key: effectKey(entry), entry_id: entry.id, journey_id: entry.journeyId, version: entry.version, profile_id: entry.profileId,
      node_id: entry.nodeId, kind: intent.kind, channel: intent.channel, marketing: intent.marketing, payload: intent.payload, due_at: intent.dueAt.toISOString(),
    }));
    // Claimed only when due (a row due later waits for the claim as before).
    const claimed = claimedUntil ? sql`CASE WHEN o.due_at <= ${now} THEN 'in_flight' ELSE 'pending' END` : sql`'pending'`;
    const { rows: written } = await sql<Pick<OutboxRow, 'workspace_id' | 'idempotency_key' | 'status'> & { stored: OutboxRow['payload'] | null }>`INSERT INTO journey_outbox (workspace_id, idempotency_key, entry_id, journey_id, version, profile_id, node_id, kind, channel, marketing, payload, due_at, created_at, status, attempts, lease_until)
      SELECT o.ws, o.key, o.entry_id, o.journey_id, o.version, o.profile_id, o.node_id, o.kind, o.channel, o.marketing, o.payload, o.due_at, ${now}, s.status,
        CASE WHEN s.status = 'in_flight' THEN 1 ELSE 0 END, CASE WHEN s.status = 'in_flight' THEN ${claimedUntil ?? null}::timestamptz END
      FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS o(ws text, key text, entry_id bigint, journey_id text, version int, profile_id bigint, node_id text,
        kind text, channel text, marketing boolean, payload jsonb, due_at timestamptz)
        CROSS JOIN LATERAL (SELECT ${claimed} AS status) s
      ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
      ${claimedUntil ? sql`RETURNING workspace_id, idempotency_key, status, CASE WHEN kind = 'webhook' THEN payload END AS stored` : sql``}`.execute(trx);
    if (!claimedUntil) return [];
    // The handed rows are built from what was just written rather than read back (RETURNING *: every row's payload
    // turned to text by PostgreSQL and parsed again here, with its four timestamps). A webhook node's payload is read
    // back all the same: its keys become the body in stored (jsonb) order, as when the row is claimed again later, so
    // a retry under the same idempotency key sends the same bytes.
    const inFlight = new Map(written.filter((r) => r.status === 'in_flight').map((r) => [`${r.workspace_id}\u0000${r.idempotency_key}`, r.stored]));
    return rows.flatMap((o): OutboxRow[] => {
      const k = `${o.ws}\u0000${o.key}`;
      if (!inFlight.has(k)) return [];
      const stored = inFlight.get(k);
      inFlight.delete(k); // once, as RETURNING gave it
      return [{
        workspace_id: o.ws, idempotency_key: o.key, entry_id: o.entry_id, journey_id: o.journey_id, version: o.version, profile_id: o.profile_id, node_id: o.node_id,
        kind: o.kind, channel: o.channel, marketing: o.marketing, payload: stored ?? o.payload, status: 'in_flight', attempts: 1, due_at: new Date(o.due_at),
        lease_until: claimedUntil, result: null, created_at: now, updated_at: now,
      }];
    });
  }
  return [];
}
