import { sql, type Kysely, type Selectable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB, TagsTable } from '../../platform/db/schema.js';
import { AppError, invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { ruleGraph, validateRule } from '../rules/index.js';
import { recomputeRuleTag } from './materialise.js';
import type { Tag, TagCategory, TagGroup, TagInput, TagUpdate } from './schema.js';

export async function createTagGroup(db: Db, workspaceId: string, input: { name: string; category: TagCategory; description?: string }): Promise<TagGroup> {
  const row = await db
    .insertInto('tag_groups')
    .values({ workspace_id: workspaceId, id: newId('tg'), name: input.name, category: input.category, description: input.description ?? null })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toGroup(row);
}

export async function listTagGroups(db: Db, workspaceId: string): Promise<TagGroup[]> {
  const rows = await db.selectFrom('tag_groups').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
  return rows.map(toGroup);
}

function toGroup(row: Selectable<DB['tag_groups']>): TagGroup {
  return { id: row.id, name: row.name, category: row.category, description: row.description ?? undefined, createdAt: row.created_at };
}

async function requireGroup(db: Kysely<DB>, workspaceId: string, groupId: string): Promise<void> {
  const group = await db.selectFrom('tag_groups').select('id').where('workspace_id', '=', workspaceId).where('id', '=', groupId).executeTakeFirst();
  if (!group) throw invalid(`no such tag group: ${groupId}`, [{ path: 'body.groupId', message: 'no such tag group' }]);
}

/** Creates a tag; a rule tag is validated (no cycles) and computed at once. */
export async function createTag(db: Db, workspaceId: string, input: TagInput, now = new Date()): Promise<Tag> {
  await requireGroup(db, workspaceId, input.groupId);
  const id = newId('tag');
  const rule = input.rule ? await validateRule(db, workspaceId, input.rule, { kind: 'tag', id }, 'body.rule') : undefined;
  await db
    .insertInto('tags')
    .values({
      workspace_id: workspaceId,
      id,
      group_id: input.groupId,
      name: input.name,
      description: input.description ?? null,
      kind: rule ? 'rule' : 'manual',
      rule: rule ? JSON.stringify(rule) : null,
      rule_value: input.ruleValue ?? '',
    })
    .execute()
    .catch(duplicateName(input.name));
  if (rule) await recomputeRuleTag(db, workspaceId, id, now);
  return getTag(db, workspaceId, id);
}

const duplicateName = (name: string) => (err: unknown) => {
  if ((err as { code?: string }).code === '23505') throw new AppError('conflict', `a live tag named ${name} already exists in this group`);
  throw err;
};

export async function getTag(db: Kysely<DB>, workspaceId: string, id: string): Promise<Tag> {
  const row = await db.selectFrom('tags').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`tag ${id}`);
  const [size] = await tagSizes(db, workspaceId, [id]);
  return toTag(row, size ?? 0);
}

export async function listTags(db: Db, workspaceId: string, opts: { groupId?: string; includeArchived?: boolean } = {}): Promise<Tag[]> {
  let q = db.selectFrom('tags').selectAll().where('workspace_id', '=', workspaceId);
  if (opts.groupId) q = q.where('group_id', '=', opts.groupId);
  if (!opts.includeArchived) q = q.where('archived_at', 'is', null).where('merged_into', 'is', null);
  const rows = await q.orderBy('created_at').execute();
  const sizes = await tagSizes(db, workspaceId, rows.map((r) => r.id));
  return rows.map((r, i) => toTag(r, sizes[i] ?? 0));
}

export interface TagPageQuery {
  groupId?: string;
  includeArchived?: boolean;
  /** Part of the name (case-insensitive). */
  q?: string;
  kind?: 'manual' | 'rule';
  sort?: 'createdAt' | 'name' | 'size';
  order?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

/** One page of tags, filtered and sorted on the server, with the total that match. */
export async function pageTags(db: Db, workspaceId: string, opts: TagPageQuery = {}): Promise<{ data: Tag[]; total: number }> {
  let q = db.selectFrom('tags').selectAll().where('workspace_id', '=', workspaceId);
  if (opts.groupId) q = q.where('group_id', '=', opts.groupId);
  if (!opts.includeArchived) q = q.where('archived_at', 'is', null).where('merged_into', 'is', null);
  if (opts.kind) q = q.where('kind', '=', opts.kind);
  if (opts.q) q = q.where(sql<boolean>`strpos(lower(name), lower(${opts.q})) > 0`);
  const order = opts.order ?? 'asc';
  const limit = opts.limit ?? 50;
  const offset = opts.offset ?? 0;
  if (opts.sort === 'size') {
    // Sizes are counted over the matching tags (a workspace has hundreds of tags, not millions), then paged.
    const rows = await q.orderBy('created_at').execute();
    const sizes = await tagSizes(db, workspaceId, rows.map((r) => r.id));
    const all = rows.map((r, i) => toTag(r, sizes[i] ?? 0)).sort((a, b) => (order === 'asc' ? a.size - b.size : b.size - a.size));
    return { data: all.slice(offset, offset + limit), total: all.length };
  }
  const column = opts.sort === 'name' ? 'name' : 'created_at';
  const [rows, count] = await Promise.all([
    q.orderBy(column, order).orderBy('id').limit(limit).offset(offset).execute(),
    q.clearSelect().select(sql<number>`count(*)::int`.as('n')).executeTakeFirst(),
  ]);
  const sizes = await tagSizes(db, workspaceId, rows.map((r) => r.id));
  return { data: rows.map((r, i) => toTag(r, sizes[i] ?? 0)), total: count?.n ?? 0 };
}

async function tagSizes(db: Kysely<DB>, workspaceId: string, ids: string[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .selectFrom('tag_assignments')
    .select(['tag_id', sql<number>`count(DISTINCT profile_id)::int`.as('n')])
    .where('workspace_id', '=', workspaceId)
    .where('tag_id', 'in', ids)
    .groupBy('tag_id')
    .execute();
  const byId = new Map(rows.map((r) => [r.tag_id, r.n]));
  return ids.map((id) => byId.get(id) ?? 0);
}

function toTag(row: Selectable<TagsTable>, size: number): Tag {
  return {
    id: row.id,
    groupId: row.group_id,
    name: row.name,
    description: row.description,
    kind: row.kind,
    rule: row.rule,
    ruleValue: row.rule_value,
    archivedAt: row.archived_at,
    mergedInto: row.merged_into,
    computedAt: row.computed_at,
    size,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Rename, move, describe, or change a rule tag's rule (then fully recomputed). History stays with the tag id. */
export async function updateTag(db: Db, workspaceId: string, id: string, input: TagUpdate, now = new Date()): Promise<Tag> {
  const current = await getTag(db, workspaceId, id);
  if (current.archivedAt || current.mergedInto) throw new AppError('conflict', `tag ${id} is archived or merged`);
  if (input.groupId) await requireGroup(db, workspaceId, input.groupId);
  if (input.rule && current.kind !== 'rule') throw invalid('a manual tag has no rule', [{ path: 'body.rule', message: 'manual tags have no rule' }]);
  const rule = input.rule ? await validateRule(db, workspaceId, input.rule, { kind: 'tag', id }, 'body.rule') : undefined;
  await db
    .updateTable('tags')
    .set({
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.description !== undefined ? { description: input.description } : {}),
      ...(input.groupId !== undefined ? { group_id: input.groupId } : {}),
      ...(rule ? { rule: JSON.stringify(rule) } : {}),
      ...(input.ruleValue !== undefined ? { rule_value: input.ruleValue } : {}),
      updated_at: now,
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute()
    .catch(duplicateName(input.name ?? current.name));
  if (rule || input.ruleValue !== undefined) {
    if (input.ruleValue !== undefined && input.ruleValue !== current.ruleValue) {
      await db.deleteFrom('tag_assignments').where('workspace_id', '=', workspaceId).where('tag_id', '=', id).execute();
    }
    await recomputeRuleTag(db, workspaceId, id, now);
  }
  return getTag(db, workspaceId, id);
}

/** Archives a tag: its members lose it (recorded in history with cause `archive`); the tag and its history remain. */
export async function archiveTag(db: Db, workspaceId: string, id: string, actor: string, now = new Date()): Promise<Tag> {
  await refuseIfReferenced(db, workspaceId, id);
  await db.transaction().execute(async (trx) => {
    await sql`
      WITH removed AS (DELETE FROM tag_assignments WHERE workspace_id = ${workspaceId} AND tag_id = ${id} RETURNING profile_id, origin_profile_id, value)
      INSERT INTO tag_history (workspace_id, tag_id, profile_id, origin_profile_id, action, value, cause, actor, at)
      SELECT ${workspaceId}, ${id}, profile_id, origin_profile_id, 'remove', value, 'archive', ${actor}, ${now} FROM removed`.execute(trx);
    await trx.updateTable('tags').set({ archived_at: now, updated_at: now }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
  });
  return getTag(db, workspaceId, id);
}

/**
 * Merges tag `id` into `targetId`: its members get the target (history: cause `merge`), the source is kept as
 * merged (its history stays readable under its id, and the target's history includes it).
 */
export async function mergeTag(db: Db, workspaceId: string, id: string, targetId: string, actor: string, now = new Date()): Promise<Tag> {
  const [source, target] = [await getTag(db, workspaceId, id), await getTag(db, workspaceId, targetId)];
  if (id === targetId) throw invalid('a tag cannot be merged into itself', [{ path: 'body.targetId', message: 'same tag' }]);
  if (source.archivedAt || source.mergedInto || target.archivedAt || target.mergedInto) throw new AppError('conflict', 'both tags must be live');
  if (target.kind !== 'manual') throw invalid('merge into a manual tag (a rule tag decides its own members)', [{ path: 'body.targetId', message: 'rule tag' }]);
  await refuseIfReferenced(db, workspaceId, id);
  await db.transaction().execute(async (trx) => {
    await sql`
      WITH moved AS (
        INSERT INTO tag_assignments (workspace_id, tag_id, profile_id, origin_profile_id, value, source, actor, assigned_at)
        SELECT workspace_id, ${targetId}, profile_id, origin_profile_id, value, 'manual', ${actor}, ${now} FROM tag_assignments
        WHERE workspace_id = ${workspaceId} AND tag_id = ${id}
        ON CONFLICT DO NOTHING
        RETURNING profile_id, origin_profile_id, value
      )
      INSERT INTO tag_history (workspace_id, tag_id, profile_id, origin_profile_id, action, value, cause, actor, at)
      SELECT ${workspaceId}, ${targetId}, profile_id, origin_profile_id, 'apply', value, 'merge', ${actor}, ${now} FROM moved`.execute(trx);
    await sql`
      WITH removed AS (DELETE FROM tag_assignments WHERE workspace_id = ${workspaceId} AND tag_id = ${id} RETURNING profile_id, origin_profile_id, value)
      INSERT INTO tag_history (workspace_id, tag_id, profile_id, origin_profile_id, action, value, cause, actor, at)
      SELECT ${workspaceId}, ${id}, profile_id, origin_profile_id, 'remove', value, 'merge', ${actor}, ${now} FROM removed`.execute(trx);
    await trx.updateTable('tags').set({ merged_into: targetId, updated_at: now }).where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
  });
  return getTag(db, workspaceId, id);
}

/** A tag that other rules use cannot disappear under them. */
async function refuseIfReferenced(db: Db, workspaceId: string, id: string): Promise<void> {
  const graph = await ruleGraph(db, workspaceId);
  const users = [...graph.entries()].filter(([key, node]) => node.live && key !== `tag:${id}` && node.dependsOn.includes(`tag:${id}`)).map(([key]) => key);
  if (users.length) throw new AppError('conflict', `tag ${id} is used by the rules of ${users.join(', ')}`);
}
