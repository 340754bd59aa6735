import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

type Trx = Transaction<DB>;

/**
 * A profile's traits are derived from its records: for each trait, the newest value (by event time) among its
 * identify calls. Recomputed from scratch when a profile's identifiers change (merge, split), and patched
 * incrementally by ingest otherwise (see applyTraitUpdates).
 */
// Each profile's events and orders are read by key (LATERAL … OFFSET 0), and the profiles updated through their key
// (an array from a subquery, estimated at 10 keys): as `profile_id = ANY(ids)` and a join to the unnest, tables
// without statistics had the planner read every order of the workspace (20,737 for 30 profiles of the demo brand)
// and every profile (test/identity/settle-plans.test.ts).
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
        SELECT DISTINCT ON (y.pid, kv.key) y.pid, kv.key, kv.value, e."timestamp" AS ts
        FROM unnest(${profileIds}::bigint[]) AS y(pid)
        CROSS JOIN LATERAL (
          SELECT id, "timestamp", traits FROM events WHERE workspace_id = ${workspaceId} AND profile_id = y.pid AND traits IS NOT NULL OFFSET 0
        ) e
        CROSS JOIN LATERAL jsonb_each(e.traits) AS kv
        ORDER BY y.pid, kv.key, e."timestamp" DESC, e.id DESC
      ) latest GROUP BY pid
    ) t ON t.pid = x.pid
    LEFT JOIN (
      SELECT y.pid, min(r.ts) AS first_seen, max(r.ts) AS last_seen FROM unnest(${profileIds}::bigint[]) AS y(pid)
      CROSS JOIN LATERAL (
        (SELECT "timestamp" AS ts FROM events WHERE workspace_id = ${workspaceId} AND profile_id = y.pid OFFSET 0)
        UNION ALL
        (SELECT ordered_at FROM orders WHERE workspace_id = ${workspaceId} AND profile_id = y.pid OFFSET 0)
      ) r GROUP BY y.pid
    ) s ON s.pid = x.pid
    WHERE p.workspace_id = ${workspaceId} AND p.id = ANY(ARRAY(SELECT unnest(${profileIds}::bigint[]))) AND p.id = x.pid`.execute(trx);
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

/** One profile's touches in a batch: first/last seen (epoch ms), the newest value of each trait and its time. */
interface TouchAggregate {
  first: number;
  last: number;
  traits: Record<string, unknown> | null;
  times: Record<string, number> | null;
  /** undefined: no touch yet; null: some touch counts as any change. */
  scope: ProfileChangeScope | null | undefined;
}

/**
 * Ingest's incremental path: for each profile, take a trait's value only if it is newer than the one held, and widen
 * first/last seen. One statement for the whole batch.
 */
export async function applyProfileTouches(trx: Trx, workspaceId: string, touches: ProfileTouch[]): Promise<void> {
  if (!touches.length) return;
  // Runs for every stored event: plain loops, one object per profile (not per touch), times kept as numbers.
  const byProfile = new Map<number, TouchAggregate>();
  for (const t of touches) {
    const ms = t.time.getTime();
    let agg = byProfile.get(t.profileId);
    if (!agg) byProfile.set(t.profileId, (agg = { first: ms, last: ms, traits: null, times: null, scope: undefined }));
    else {
      if (ms < agg.first) agg.first = ms;
      if (ms > agg.last) agg.last = ms;
    }
    const traits = t.traits;
    const traitKeys = traits ? Object.keys(traits) : undefined;
    const hasTraits = traitKeys !== undefined && traitKeys.length > 0;
    if (t.type === undefined) agg.scope = null;
    else if (agg.scope !== null) {
      let next = agg.scope;
      if (!next) agg.scope = next = { events: [], traits: false };
      // The names a record is known by to rules (`event`) and to the AIPL stage mapping (pages and screens by type).
      const events = next.events;
      if (t.event && !events.includes(t.event)) events.push(t.event);
      if (t.type === 'page') {
        if (!events.includes('Page Viewed')) events.push('Page Viewed');
      } else if (t.type === 'screen' && !events.includes('Screen Viewed')) events.push('Screen Viewed');
      if (hasTraits) next.traits = true;
    }
    if (!hasTraits) continue;
    // Without a prototype: a trait named `constructor` or `toString` found Object.prototype's member as its time,
    // compared false with every time, and was never kept.
    const held = agg.traits ?? (agg.traits = Object.create(null) as Record<string, unknown>);
    const times = agg.times ?? (agg.times = Object.create(null) as Record<string, number>);
    for (const key of traitKeys) {
      const prev = times[key];
      if (prev === undefined || prev <= ms) {
        held[key] = traits![key];
        times[key] = ms;
      }
    }
  }
  const all = [...byProfile.keys()].sort((x, y) => x - y);
  // Passed in cheap forms: jsonb_in costs ~20-40 ns a byte and most profiles carry no traits, so ids and first/last
  // seen (epoch ms) go as array literals, and only the profiles with traits are in a JSON document.
  let ids = '{';
  let firsts = '{';
  let lasts = '{';
  let doc = '[';
  let lastMs = NaN;
  let lastIso = '';
  for (let i = 0; i < all.length; i++) {
    const id = all[i]!;
    const a = byProfile.get(id)!;
    const sep = i > 0 ? ',' : '';
    ids += sep + id;
    firsts += sep + a.first;
    lasts += sep + a.last;
    if (!a.traits) continue;
    let times = '{';
    let first = true;
    for (const key in a.times!) {
      const ms = a.times![key]!;
      if (ms !== lastMs) {
        lastMs = ms;
        lastIso = new Date(ms).toISOString();
      }
      times += `${first ? '' : ','}${JSON.stringify(key)}:"${lastIso}"`;
      first = false;
    }
    doc += `${doc.length > 1 ? ',' : ''}{"i":${id},"a":${JSON.stringify(a.traits)},"t":${times}}}`;
  }
  ids += '}';
  firsts += '}';
  lasts += '}';
  doc += ']';
  // Most events only move last-seen forward by seconds, or carry traits the profile already holds as new: rewriting
  // the row (traits and all) for that is most of this statement's cost, so last-seen is kept to the minute and a row
  // is rewritten only when first/last seen or some trait value or time would change (and no index holds these
  // columns, so a rewrite stays on its page without index entries: see migration 0007). Each touched profile is
  // looked up by its key (a lateral probe, in id order: x is materialised sorted by id, and the rows to rewrite are
  // locked in that order, so concurrent batches cannot deadlock on shared profiles); joined as a set, the planner
  // hashed every profile of the workspace, twice, for a batch's few hundred. The rewrite then finds the locked rows by
  // id again (not by ctid: a row another batch rewrote after this statement's snapshot must be found in its visible
  // version and followed to the locked one). A profile without traits in this batch keeps its traits as they are;
  // the others take each trait unless the held one is newer (the rule of siyu_newer_traits and
  // siyu_newer_trait_times, written out here: SQL functions with a subquery are not inlined, and each call started
  // an executor of its own).
  await sql`
    /* profile touches */ WITH tr AS MATERIALIZED (
      SELECT * FROM jsonb_to_recordset(${doc}::jsonb) AS tr(i bigint, a jsonb, t jsonb)
    ), x AS MATERIALIZED (
      SELECT u.id, tr.a AS traits, tr.t AS times, to_timestamp(u.f / 1000.0) AS f, to_timestamp(u.l / 1000.0) AS l
      FROM unnest(${ids}::bigint[], ${firsts}::bigint[], ${lasts}::bigint[]) AS u(id, f, l) LEFT JOIN tr ON tr.i = u.id
      ORDER BY u.id
    ), changing AS MATERIALIZED (
      SELECT c.id FROM x CROSS JOIN LATERAL (
        SELECT p.id FROM profiles p
        WHERE p.workspace_id = ${workspaceId} AND p.id = x.id AND (
          p.first_seen_at IS NULL OR p.last_seen_at IS NULL OR x.f < p.first_seen_at
          OR x.l > p.last_seen_at + make_interval(secs => ${LAST_SEEN_PRECISION_MS / 1000})
          OR (x.times IS NOT NULL AND EXISTS (
            SELECT 1 FROM jsonb_each_text(x.times) AS t(k, v)
            WHERE p.trait_times ->> t.k IS NULL OR t.v::timestamptz > (p.trait_times ->> t.k)::timestamptz
               OR (t.v::timestamptz = (p.trait_times ->> t.k)::timestamptz AND (x.traits -> t.k) IS DISTINCT FROM (p.traits -> t.k)))))
        FOR UPDATE OF p
      ) c
    )
    UPDATE profiles p SET
      traits = CASE WHEN x.times IS NULL THEN p.traits ELSE p.traits || coalesce((
        SELECT jsonb_object_agg(t.k, x.traits -> t.k) FROM jsonb_each_text(x.times) AS t(k, v)
        WHERE p.trait_times ->> t.k IS NULL OR t.v::timestamptz >= (p.trait_times ->> t.k)::timestamptz), '{}') END,
      trait_times = CASE WHEN x.times IS NULL THEN p.trait_times ELSE p.trait_times || coalesce((
        SELECT jsonb_object_agg(t.k, x.times -> t.k) FROM jsonb_each_text(x.times) AS t(k, v)
        WHERE p.trait_times ->> t.k IS NULL OR t.v::timestamptz >= (p.trait_times ->> t.k)::timestamptz), '{}') END,
      first_seen_at = least(p.first_seen_at, x.f),
      last_seen_at = greatest(p.last_seen_at, x.l),
      updated_at = now()
    FROM x
    WHERE p.workspace_id = ${workspaceId} AND p.id = ANY(ARRAY(SELECT id FROM changing)) AND p.id = x.id`.execute(trx);
  const known = new Map<number, ProfileChangeScope>();
  for (const [id, a] of byProfile) if (a.scope) known.set(id, a.scope);
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
  // Passed in cheap forms (jsonb_in costs ~20-40 ns a byte): the profile ids and one code each as array literals,
  // and the few distinct sets of event names once. A code is -1 for any change, else 2 × the index of its name set,
  // plus 1 if its traits changed.
  const setIndex = new Map<string, number>();
  let sets = '[';
  let idList = '{';
  let codes = '{';
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    const scope = scopes.get(id);
    let code = -1;
    if (scope) {
      const names = scope.events.length > 1 ? [...new Set(scope.events)].sort() : scope.events;
      const key = JSON.stringify(names);
      let k = setIndex.get(key);
      if (k === undefined) {
        setIndex.set(key, (k = setIndex.size));
        sets += (k > 0 ? ',' : '') + key;
      }
      code = 2 * k + (scope.traits ? 1 : 0);
    }
    idList += (i > 0 ? ',' : '') + id;
    codes += (i > 0 ? ',' : '') + code;
  }
  sets += ']';
  idList += '}';
  codes += '}';
  await queueScoped(trx, workspaceId, idList, codes, sets);
}

/**
 * The scoped queueing statement, for profile ids in ascending order, their codes and name sets (see
 * markProfilesChanged). One upsert in id order, so concurrent appliers lock feed rows in one order.
 *
 * Tried and left out (bench/ingest-apply.ts, interleaved, load 4-15): locking each queued row first with a
 * primary-key probe FOR UPDATE in the upsert's source and proposing only profiles whose row does not cover the change
 * (a proposed row costs a speculative insertion and a call of the BEFORE INSERT trigger, which fires for conflicting
 * rows too). In psql, 5,000 rows all covered, it took 61 against 81 ms of CPU (a smaller document included), but in
 * the bench about half of the touched profiles widen their row and pay the probe on top of the upsert: no measurable
 * gain (PostgreSQL CPU 3.7-7.3 against 3.6-8.7 µs per event), and with the evaluator draining the feed most
 * profiles are not queued at all.
 */
async function queueScoped(trx: Trx, workspaceId: string, ids: string, codes: string, sets: string): Promise<void> {
  await sql`
    /* change feed */ WITH s AS MATERIALIZED (
      SELECT (s.o - 1)::int AS k, ARRAY(SELECT jsonb_array_elements_text(s.e)) AS names
      FROM jsonb_array_elements(${sets}::jsonb) WITH ORDINALITY AS s(e, o)
    ), x AS MATERIALIZED (
      SELECT u.id, u.code < 0 AS everything, coalesce(s.names, '{}') AS names, u.code >= 0 AND u.code % 2 = 1 AS traits
      FROM unnest(${ids}::bigint[], ${codes}::int[]) AS u(id, code) LEFT JOIN s ON u.code >= 0 AND s.k = u.code / 2
      ORDER BY u.id
    )
    INSERT INTO profile_changes AS c (workspace_id, profile_id, everything, event_names, traits_changed, scoped)
    SELECT ${workspaceId}, x.id, x.everything, x.names, x.traits, true FROM x
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
