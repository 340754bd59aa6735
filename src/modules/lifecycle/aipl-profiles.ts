import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { STAGES, stageLevels } from './aipl.js';
import type { LifecycleSettings } from './schema.js';
import { getLifecycleSettings } from './settings.js';

/** Events that arrived for one profile since it was last evaluated (names as rules and the stage mapping know them). */
export interface ArrivedEvents {
  profileId: number;
  events: string[];
}

/** The level (1–4 for A–I–P–L) an event name maps to, 0 for a name that maps to no stage; L wins over P over I. */
export function stageLevelOf(settings: LifecycleSettings['aipl'], name: string): number {
  const { A, I, P, L } = settings.stages;
  if (L.includes(name)) return 4;
  if (P.includes(name)) return 3;
  if (I.includes(name)) return 2;
  if (A.includes(name)) return 1;
  return 0;
}

/**
 * The real-time stage update for profiles whose only news is events (no order, no merge): new events can only
 * raise a stage. The stored stage was exact when last computed, and every event in today's window was either in
 * that window then or is new, so the exact stage is the higher of the stored one and the newest events' levels —
 * those are looked up (in the window, through the profile's index) only when a new event's name maps above the
 * stored stage, so most events cost no query at all. A stage whose window lapsed is lowered by the daily pass, as
 * for a profile with no new data. Returns the profiles whose stage changed, with the new stage.
 */
export async function raiseStagesForEvents(db: Kysely<DB>, workspaceId: string, now: Date, arrived: ArrivedEvents[]): Promise<Map<number, string>> {
  const raised = new Map<number, string>();
  const settings = (await getLifecycleSettings(db, workspaceId)).aipl;
  const mapped = arrived
    .map((a) => ({ profileId: a.profileId, names: a.events.filter((n) => stageLevelOf(settings, n) > 0) }))
    .filter((a) => a.names.length > 0);
  if (mapped.length === 0) return raised;
  const ids = mapped.map((a) => a.profileId);
  const stored = new Map(
    // By key, one profile at a time (see refreshStages).
    (
      await sql<{ profile_id: number; stage: string }>`
        SELECT x.pid AS profile_id, l.stage FROM unnest(${ids}::bigint[]) AS x(pid)
        CROSS JOIN LATERAL (SELECT stage FROM profile_lifecycle WHERE workspace_id = ${workspaceId} AND profile_id = x.pid OFFSET 0) l`.execute(db)
    ).rows.map((r) => [
      r.profile_id,
      STAGES.indexOf(r.stage as (typeof STAGES)[number]) + 1,
    ]),
  );
  const candidates = mapped
    .map((a) => ({ ...a, storedLevel: stored.get(a.profileId) ?? 0 }))
    .map((a) => ({ ...a, names: a.names.filter((n) => stageLevelOf(settings, n) > a.storedLevel) }))
    .filter((a) => a.names.length > 0);
  if (candidates.length === 0) return raised;
  const since = new Date(now.getTime() - settings.windowDays * 86_400_000);
  const { eventName, eventLevel } = stageLevels(settings);
  const names = [...new Set(candidates.flatMap((a) => a.names))];
  const { rows } = await sql<{ profile_id: number; lvl: number }>`
    SELECT x.pid AS profile_id, l.lvl FROM unnest(${candidates.map((a) => a.profileId)}::bigint[]) AS x(pid)
    CROSS JOIN LATERAL (
      SELECT max(${eventLevel}) AS lvl FROM events e
      WHERE e.workspace_id = ${workspaceId} AND e.profile_id = x.pid AND e."timestamp" >= ${since} AND e."timestamp" <= ${now} AND ${eventName} = ANY(${names}::text[])
    ) l
    WHERE l.lvl IS NOT NULL`.execute(db);
  const storedLevel = new Map(candidates.map((a) => [a.profileId, a.storedLevel]));
  const changes = rows
    .filter((r) => r.lvl > (storedLevel.get(r.profile_id) ?? 0))
    .map((r) => ({ profileId: r.profile_id, from: (storedLevel.get(r.profile_id) ?? 0) > 0 ? STAGES[storedLevel.get(r.profile_id)! - 1]! : null, to: STAGES[r.lvl - 1]! }));
  if (changes.length === 0) return raised;
  const pids = changes.map((c) => c.profileId);
  // Live profiles by key (LATERAL … OFFSET 0): joined, tables never analysed had the planner hash every profile of the
  // workspace for each real-time pass that raised a stage (13,027 for one profile of the demo brand).
  await sql`
    WITH x AS (SELECT * FROM unnest(${pids}::bigint[], ${changes.map((c) => c.from)}::text[], ${changes.map((c) => c.to)}::text[]) AS x(pid, from_stage, to_stage)),
    live AS (SELECT x.* FROM x CROSS JOIN LATERAL (SELECT 1 FROM profiles p WHERE p.workspace_id = ${workspaceId} AND p.id = x.pid AND p.merged_into IS NULL OFFSET 0) p),
    upserted AS (
      INSERT INTO profile_lifecycle (workspace_id, profile_id, stage, since)
      SELECT ${workspaceId}, pid, to_stage, ${now} FROM live
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET stage = excluded.stage, since = excluded.since
    )
    INSERT INTO lifecycle_history (workspace_id, profile_id, origin_profile_id, from_stage, to_stage, at)
    SELECT ${workspaceId}, pid, pid, from_stage, to_stage, ${now} FROM live`.execute(db);
  for (const c of changes) raised.set(c.profileId, c.to);
  return raised;
}
