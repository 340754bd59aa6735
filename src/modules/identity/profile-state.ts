import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

type Trx = Transaction<DB>;

/**
 * A profile's traits are derived from its records: for each trait, the newest value (by event time) among its
 * identify calls. Recomputed from scratch when a profile's identifiers change (merge, split), and patched
 * incrementally by ingest otherwise (see applyTraitUpdates).
 */
export async function refreshDerivedProfileState(trx: Trx, workspaceId: string, profileIds: number[]): Promise<void> {
  if (!profileIds.length) return;
  await sql`
    UPDATE profiles p SET
      traits = coalesce(t.traits, '{}'::jsonb),
      trait_times = coalesce(t.times, '{}'::jsonb),
      first_seen_at = s.first_seen,
      last_seen_at = s.last_seen,
      updated_at = now()
    FROM unnest(${profileIds}::bigint[]) AS x(pid)
    LEFT JOIN (
      SELECT pid, jsonb_object_agg(key, value) AS traits, jsonb_object_agg(key, ts) AS times FROM (
        SELECT DISTINCT ON (e.profile_id, kv.key) e.profile_id AS pid, kv.key, kv.value, e."timestamp" AS ts
        FROM events e CROSS JOIN LATERAL jsonb_each(e.traits) AS kv
        WHERE e.workspace_id = ${workspaceId} AND e.profile_id = ANY(${profileIds}::bigint[]) AND e.traits IS NOT NULL
        ORDER BY e.profile_id, kv.key, e."timestamp" DESC, e.id DESC
      ) latest GROUP BY pid
    ) t ON t.pid = x.pid
    LEFT JOIN (
      SELECT pid, min(ts) AS first_seen, max(ts) AS last_seen FROM (
        SELECT profile_id AS pid, "timestamp" AS ts FROM events WHERE workspace_id = ${workspaceId} AND profile_id = ANY(${profileIds}::bigint[])
        UNION ALL
        SELECT profile_id, ordered_at FROM orders WHERE workspace_id = ${workspaceId} AND profile_id = ANY(${profileIds}::bigint[])
      ) r GROUP BY pid
    ) s ON s.pid = x.pid
    WHERE p.workspace_id = ${workspaceId} AND p.id = x.pid`.execute(trx);
  await markProfilesChanged(trx, workspaceId, profileIds);
}

/** Last-seen is exact to this much: a later event within it does not rewrite the profile. */
export const LAST_SEEN_PRECISION_MS = 60_000;

export interface ProfileTouch {
  profileId: number;
  time: Date;
  /** Traits set by an identify call at `time`. */
  traits?: Record<string, unknown>;
  /**
   * The record's type and event name, so the change feed can say what changed (the rules tier then re-decides only
   * rules that read it). A touch without `type` counts as any change.
   */
  type?: string;
  event?: string | null;
}

/**
 * Ingest's incremental path: for each profile, take a trait's value only if it is newer than the one held, and widen
 * first/last seen. One statement for the whole batch.
 */
export async function applyProfileTouches(trx: Trx, workspaceId: string, touches: ProfileTouch[]): Promise<void> {
  if (!touches.length) return;
  // Runs for every stored event: plain loops, each time turned into text once, names pushed without temporary arrays.
  const byProfile = new Map<number, { first: number; last: number; traits: Record<string, unknown>; times: Record<string, string> }>();
  const scopes = new Map<number, ProfileChangeScope | null>();
  for (const t of touches) {
    const ms = t.time.getTime();
    let agg = byProfile.get(t.profileId);
    if (!agg) byProfile.set(t.profileId, (agg = { first: ms, last: ms, traits: {}, times: {} }));
    else {
      if (ms < agg.first) agg.first = ms;
      if (ms > agg.last) agg.last = ms;
    }
    const traits = t.traits;
    const traitKeys = traits ? Object.keys(traits) : [];
    const scope = scopes.get(t.profileId);
    if (t.type === undefined) scopes.set(t.profileId, null);
    else if (scope !== null) {
      let next = scope;
      if (!next) scopes.set(t.profileId, (next = { events: [], traits: false }));
      // The names a record is known by to rules (`event`) and to the AIPL stage mapping (pages and screens by type).
      if (t.event) next.events.push(t.event);
      if (t.type === 'page') next.events.push('Page Viewed');
      else if (t.type === 'screen') next.events.push('Screen Viewed');
      if (traitKeys.length > 0) next.traits = true;
    }
    if (traitKeys.length === 0) continue;
    const iso = t.time.toISOString();
    for (const key of traitKeys) {
      const prev = agg.times[key];
      if (prev === undefined || prev <= iso) {
        agg.traits[key] = traits![key];
        agg.times[key] = iso;
      }
    }
  }
  const all = [...byProfile.keys()].sort((x, y) => x - y);
  // Most events only move last-seen forward by seconds, or carry traits the profile already holds as new: rewriting
  // the row (traits and all) for that is most of this statement's cost, so last-seen is kept to the minute and a row
  // is rewritten only when first/last seen or some trait value or time would change (and no index holds these
  // columns, so a rewrite stays on its page without index entries: see migration 0007). Each touched profile is
  // looked up by its key (a lateral probe, in id order: the rows to rewrite are locked in that order, so concurrent
  // batches cannot deadlock on shared profiles); joined as a set, the planner hashed every profile of the workspace,
  // twice, for a batch's few hundred. The rewrite then finds the locked rows by id again (not by ctid: a row another
  // batch rewrote after this statement's snapshot must be found in its visible version and followed to the locked one).
  // One JSON document (one JSON.stringify) rather than five arrays, whose JSON elements pg would escape one by one.
  const doc = JSON.stringify(
    all.map((id) => {
      const a = byProfile.get(id)!;
      return { id, traits: a.traits, times: a.times, f: new Date(a.first).toISOString(), l: new Date(a.last).toISOString() };
    }),
  );
  await sql`
    WITH x AS MATERIALIZED (
      SELECT * FROM jsonb_to_recordset(${doc}::jsonb) AS x(id bigint, traits jsonb, times jsonb, f timestamptz, l timestamptz)
    ), changing AS MATERIALIZED (
      SELECT c.id FROM x CROSS JOIN LATERAL (
        SELECT p.id FROM profiles p
        WHERE p.workspace_id = ${workspaceId} AND p.id = x.id AND (
          p.first_seen_at IS NULL OR p.last_seen_at IS NULL OR x.f < p.first_seen_at
          OR x.l > p.last_seen_at + make_interval(secs => ${LAST_SEEN_PRECISION_MS / 1000})
          OR EXISTS (
            SELECT 1 FROM jsonb_each_text(x.times) AS t(k, v)
            WHERE p.trait_times ->> t.k IS NULL OR t.v::timestamptz > (p.trait_times ->> t.k)::timestamptz
               OR (t.v::timestamptz = (p.trait_times ->> t.k)::timestamptz AND (x.traits -> t.k) IS DISTINCT FROM (p.traits -> t.k))))
        FOR UPDATE OF p
      ) c
    )
    UPDATE profiles p SET
      traits = siyu_newer_traits(p.traits, p.trait_times, x.traits, x.times),
      trait_times = siyu_newer_trait_times(p.trait_times, x.times),
      first_seen_at = least(p.first_seen_at, x.f),
      last_seen_at = greatest(p.last_seen_at, x.l),
      updated_at = now()
    FROM x
    WHERE p.workspace_id = ${workspaceId} AND p.id = ANY(ARRAY(SELECT id FROM changing)) AND p.id = x.id`.execute(trx);
  const known = new Map<number, ProfileChangeScope>();
  for (const [id, scope] of scopes) if (scope) known.set(id, scope);
  await markProfilesChanged(trx, workspaceId, all, known);
}

/** What changed for one profile: only events of these names arrived, and its traits if `traits`. */
export interface ProfileChangeScope {
  events: string[];
  traits: boolean;
}

/**
 * Queues profiles for the rules tier (de-duplicated: one row per profile). DO UPDATE, not DO NOTHING: the update
 * locks an existing row, so the evaluator cannot claim it while this transaction is open (it skips locked rows)
 * and evaluate without this transaction's data; with DO NOTHING that change could be lost.
 * With `scopes`, a profile that has one is queued with what changed (merged with what was queued already), so the
 * rules tier re-decides only what that can affect; a profile without one, or no `scopes`, counts as any change.
 */
export async function markProfilesChanged(trx: Trx, workspaceId: string, profileIds: number[], scopes?: ReadonlyMap<number, ProfileChangeScope>): Promise<void> {
  if (!profileIds.length) return;
  const ids = [...new Set(profileIds)].sort((x, y) => x - y);
  if (!scopes || scopes.size === 0) {
    await sql`
      INSERT INTO profile_changes (workspace_id, profile_id)
      SELECT ${workspaceId}, id FROM unnest(${ids}::bigint[]) AS x(id)
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now()`.execute(trx);
    return;
  }
  const doc = JSON.stringify(
    ids.map((id) => {
      const scope = scopes.get(id);
      return scope ? { id, everything: false, names: [...new Set(scope.events)], traits: scope.traits } : { id, everything: true, names: [], traits: false };
    }),
  );
  await sql`
    INSERT INTO profile_changes AS c (workspace_id, profile_id, everything, event_names, traits_changed, scoped)
    SELECT ${workspaceId}, x.id, x.everything, x.names, x.traits, true FROM jsonb_to_recordset(${doc}::jsonb) AS x(id bigint, everything boolean, names text[], traits boolean)
    ON CONFLICT (workspace_id, profile_id) DO UPDATE SET
      changed_at = now(),
      everything = c.everything OR excluded.everything,
      event_names = ARRAY(SELECT DISTINCT n FROM unnest(c.event_names || excluded.event_names) AS n),
      traits_changed = c.traits_changed OR excluded.traits_changed,
      scoped = true
    -- A queued row that already covers this change is left as it is (no new row version, no trigger, no WAL but the
    -- lock): DO UPDATE locks the row even when this is false, which is what the evaluator's SKIP LOCKED relies on.
    -- It keeps its first queue time, so a busy profile is not pushed back behind quieter ones.
    WHERE NOT (c.everything OR (NOT excluded.everything AND excluded.event_names <@ c.event_names
                                AND (c.traits_changed OR NOT excluded.traits_changed)))`.execute(trx);
}
