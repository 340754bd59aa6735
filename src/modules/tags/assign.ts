import { parse } from 'csv-parse/sync';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError, invalid } from '../../platform/errors.js';
import type { ProfileTag, TagHistoryEntry } from './schema.js';
import { getTag } from './service.js';

export type ManualSource = 'manual' | 'import' | 'journey';

/**
 * Applies a manual tag (with an optional value) to profiles; each change is recorded with its cause and actor.
 * Re-applying the same value changes nothing; a new value replaces the old one.
 */
export async function applyTag(
  db: Db,
  workspaceId: string,
  tagId: string,
  profileIds: number[],
  opts: { value?: string; source?: ManualSource; actor: string; now?: Date },
): Promise<{ applied: number }> {
  await requireManualTag(db, workspaceId, tagId);
  const ids = await requireLiveProfiles(db, workspaceId, profileIds);
  const now = opts.now ?? new Date();
  const value = opts.value ?? '';
  const source = opts.source ?? 'manual';
  if (ids.length === 0) return { applied: 0 };
  const { rows } = await sql<{ n: number }>`
    WITH changed AS (
      INSERT INTO tag_assignments (workspace_id, tag_id, profile_id, origin_profile_id, value, source, actor, assigned_at)
      SELECT ${workspaceId}, ${tagId}, id, id, ${value}, ${source}, ${opts.actor}, ${now} FROM unnest(${ids}::bigint[]) AS id
      ON CONFLICT (workspace_id, tag_id, profile_id, origin_profile_id)
        DO UPDATE SET value = excluded.value, source = excluded.source, actor = excluded.actor, assigned_at = excluded.assigned_at
        WHERE tag_assignments.value <> excluded.value
      RETURNING profile_id, origin_profile_id, value
    ),
    history AS (
      INSERT INTO tag_history (workspace_id, tag_id, profile_id, origin_profile_id, action, value, cause, actor, at)
      SELECT ${workspaceId}, ${tagId}, profile_id, origin_profile_id, 'apply', value, ${source}, ${opts.actor}, ${now} FROM changed
    )
    SELECT count(*)::int AS n FROM changed`.execute(db);
  await markChanged(db, workspaceId, ids);
  return { applied: rows[0]?.n ?? 0 };
}

/** Removes a manual tag from profiles (every origin's row, so a merged profile loses it entirely). */
export async function removeTag(
  db: Db,
  workspaceId: string,
  tagId: string,
  profileIds: number[],
  opts: { source?: ManualSource; actor: string; now?: Date },
): Promise<{ removed: number }> {
  await requireManualTag(db, workspaceId, tagId);
  const now = opts.now ?? new Date();
  const { rows } = await sql<{ n: number }>`
    WITH removed AS (
      DELETE FROM tag_assignments WHERE workspace_id = ${workspaceId} AND tag_id = ${tagId} AND profile_id = ANY(${profileIds}::bigint[])
      RETURNING profile_id, origin_profile_id, value
    ),
    history AS (
      INSERT INTO tag_history (workspace_id, tag_id, profile_id, origin_profile_id, action, value, cause, actor, at)
      SELECT ${workspaceId}, ${tagId}, profile_id, origin_profile_id, 'remove', value, ${opts.source ?? 'manual'}, ${opts.actor}, ${now} FROM removed
    )
    SELECT count(DISTINCT profile_id)::int AS n FROM removed`.execute(db);
  await markChanged(db, workspaceId, profileIds);
  return { removed: rows[0]?.n ?? 0 };
}

/** Tags changed: rules that use tags must see it, so the profiles go on the change feed like any data change. */
async function markChanged(db: Db, workspaceId: string, profileIds: number[]): Promise<void> {
  if (profileIds.length === 0) return;
  await sql`INSERT INTO profile_changes (workspace_id, profile_id) SELECT DISTINCT ${workspaceId}, id FROM unnest(${profileIds}::bigint[]) AS id
    ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now()`.execute(db);
}

async function requireManualTag(db: Db, workspaceId: string, tagId: string): Promise<void> {
  const tag = await getTag(db, workspaceId, tagId);
  if (tag.archivedAt || tag.mergedInto) throw new AppError('conflict', `tag ${tagId} is archived or merged`);
  if (tag.kind === 'rule') throw new AppError('conflict', `tag ${tagId} is a rule tag: its rule decides who has it`);
}

async function requireLiveProfiles(db: Db, workspaceId: string, profileIds: number[]): Promise<number[]> {
  const unique = [...new Set(profileIds)];
  if (unique.length === 0) return [];
  const rows = await db
    .selectFrom('profiles')
    .select(['id', 'merged_into'])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', unique)
    .execute();
  const known = new Map(rows.map((r) => [r.id, r.merged_into]));
  const missing = unique.filter((id) => !known.has(id));
  if (missing.length) {
    throw invalid(`unknown profiles: ${missing.slice(0, 10).join(', ')}`, [{ path: 'body.profileIds', message: `unknown profiles: ${missing.slice(0, 10).join(', ')}` }]);
  }
  // An absorbed id is redirected to the profile that absorbed it.
  return [...new Set(unique.map((id) => known.get(id) ?? id))];
}

/**
 * Bulk tagging from CSV. The header names the key column: `profile_id`, or an identifier type (`phone`, `email`,
 * `member_no`, `userId`…); an optional `value` column gives each row's tag value, and `action` may be `remove`.
 */
export async function importTagCsv(
  db: Db,
  workspaceId: string,
  tagId: string,
  csv: string,
  opts: { actor: string; now?: Date },
): Promise<{ applied: number; removed: number; unmatched: Array<{ line: number; key: string }> }> {
  const records = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true }) as Array<Record<string, string>>;
  const columns = Object.keys(records[0] ?? {});
  const keyColumn = columns.find((c) => c !== 'value' && c !== 'action');
  if (!keyColumn) throw invalid('the CSV needs a header with a profile_id or identifier-type column', [{ path: 'csv', message: 'no key column' }]);
  const keys = records.map((r) => r[keyColumn] ?? '');
  const profileOf = new Map<string, number>();
  if (keyColumn === 'profile_id') {
    const ids = keys.map(Number).filter((n) => Number.isInteger(n) && n > 0);
    const rows = ids.length
      ? await db.selectFrom('profiles').select(['id', 'merged_into']).where('workspace_id', '=', workspaceId).where('id', 'in', ids).execute()
      : [];
    for (const r of rows) profileOf.set(String(r.id), r.merged_into ?? r.id);
  } else if (keys.length) {
    const rows = await db
      .selectFrom('identifiers')
      .select(['value', 'profile_id'])
      .where('workspace_id', '=', workspaceId)
      .where('type', '=', keyColumn)
      .where('value', 'in', [...new Set(keys)])
      .execute();
    for (const r of rows) if (r.profile_id !== null) profileOf.set(r.value, r.profile_id);
  }
  const unmatched: Array<{ line: number; key: string }> = [];
  const toApply = new Map<string, number[]>();
  const toRemove: number[] = [];
  records.forEach((r, i) => {
    const key = r[keyColumn] ?? '';
    const profileId = profileOf.get(key);
    if (profileId === undefined) return void unmatched.push({ line: i + 2, key });
    if ((r.action ?? '').toLowerCase() === 'remove') return void toRemove.push(profileId);
    const value = r.value ?? '';
    toApply.set(value, [...(toApply.get(value) ?? []), profileId]);
  });
  let applied = 0;
  for (const [value, ids] of toApply) applied += (await applyTag(db, workspaceId, tagId, ids, { value, source: 'import', actor: opts.actor, now: opts.now })).applied;
  const { removed } = toRemove.length ? await removeTag(db, workspaceId, tagId, toRemove, { source: 'import', actor: opts.actor, now: opts.now }) : { removed: 0 };
  return { applied, removed, unmatched };
}

export async function profileTags(db: Db, workspaceId: string, profileId: number): Promise<ProfileTag[]> {
  const rows = await db
    .selectFrom('tag_assignments as a')
    .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'a.workspace_id').onRef('t.id', '=', 'a.tag_id'))
    .select(['a.tag_id', 't.name', 't.group_id', 'a.value', 'a.source', 'a.assigned_at'])
    .where('a.workspace_id', '=', workspaceId)
    .where('a.profile_id', '=', profileId)
    .orderBy('a.assigned_at')
    .execute();
  return rows.map((r) => ({ tagId: r.tag_id, tagName: r.name, groupId: r.group_id, value: r.value, source: r.source, assignedAt: r.assigned_at }));
}

/** A profile's tag history (newest first), or a tag's (including tags merged into it). */
export async function tagHistory(db: Db, workspaceId: string, filter: { profileId?: number; tagId?: string; limit?: number }): Promise<TagHistoryEntry[]> {
  const rows = filter.tagId !== undefined && filter.profileId === undefined ? await historyOfTag(db, workspaceId, filter.tagId, filter.limit ?? 200) : await historyOf(db, workspaceId, filter);
  return rows.map((r) => ({
    tagId: r.tag_id,
    tagName: r.name,
    profileId: r.profile_id,
    originProfileId: r.origin_profile_id,
    action: r.action,
    value: r.value,
    cause: r.cause,
    actor: r.actor,
    at: r.at,
  }));
}

function historyOf(db: Db, workspaceId: string, filter: { profileId?: number; tagId?: string; limit?: number }) {
  let q = db
    .selectFrom('tag_history as h')
    .innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'h.workspace_id').onRef('t.id', '=', 'h.tag_id'))
    .select(['h.tag_id', 't.name', 'h.profile_id', 'h.origin_profile_id', 'h.action', 'h.value', 'h.cause', 'h.actor', 'h.at'])
    .where('h.workspace_id', '=', workspaceId);
  if (filter.profileId !== undefined) q = q.where('h.profile_id', '=', filter.profileId);
  if (filter.tagId !== undefined) {
    const tagId = filter.tagId;
    q = q.where((eb) => eb.or([eb('h.tag_id', '=', tagId), eb('t.merged_into', '=', tagId)]));
  }
  return q.orderBy('h.at', 'desc').orderBy('h.id', 'desc').limit(filter.limit ?? 200).execute();
}

/**
 * A tag's latest history, with the tags merged into it: the latest `limit` entries of each (tag_history_tag, migration
 * 0128), then the latest of those. Filtering the workspace's history by tag read and sorted all of it: 94 ms for a page
 * at 94,000 entries (bench/scale-audit-routes.sh).
 */
function historyOfTag(db: Db, workspaceId: string, tagId: string, limit: number) {
  return db
    .selectFrom('tags as t')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('tag_history as h')
          .select(['h.id', 'h.tag_id', 'h.profile_id', 'h.origin_profile_id', 'h.action', 'h.value', 'h.cause', 'h.actor', 'h.at'])
          .where('h.workspace_id', '=', workspaceId)
          .whereRef('h.tag_id', '=', 't.id')
          .orderBy('h.at', 'desc')
          .orderBy('h.id', 'desc')
          .limit(limit)
          .as('h'),
      (j) => j.onTrue(),
    )
    .select(['h.tag_id', 't.name', 'h.profile_id', 'h.origin_profile_id', 'h.action', 'h.value', 'h.cause', 'h.actor', 'h.at'])
    .where('t.workspace_id', '=', workspaceId)
    .where((eb) => eb.or([eb('t.id', '=', tagId), eb('t.merged_into', '=', tagId)]))
    .orderBy('h.at', 'desc')
    .orderBy('h.id', 'desc')
    .limit(limit)
    .execute();
}
