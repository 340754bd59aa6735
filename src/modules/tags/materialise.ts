import { sql, type Kysely } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { compileRule, parseRule, workspaceContext, type Rule } from '../rules/index.js';

/**
 * Rule tags are materialised in tag_assignments (source `rule`), with every change written to tag_history in the
 * same statement. Two ways in: a full set-based recompute (rule changed, daily pass for time windows) and the
 * real-time diff for a few profiles (applyRuleTagChanges), which must leave the same rows.
 */
export async function recomputeRuleTag(db: Kysely<DB>, workspaceId: string, tagId: string, now: Date): Promise<{ added: number; removed: number }> {
  const tag = await db
    .selectFrom('tags')
    .select(['rule', 'rule_value', 'kind', 'archived_at', 'merged_into'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', tagId)
    .executeTakeFirst();
  if (!tag || tag.kind !== 'rule' || !tag.rule || tag.archived_at || tag.merged_into) return { added: 0, removed: 0 };
  const rule = parseRule(tag.rule);
  const ctx = await workspaceContext(db, workspaceId, now);
  const desired = compileRule(rule.condition, workspaceId, ctx);
  const { rows } = await sql<{ added: number; removed: number }>`
    WITH desired AS (${desired}),
    removed AS (
      DELETE FROM tag_assignments ta WHERE ta.workspace_id = ${workspaceId} AND ta.tag_id = ${tagId}
        AND NOT EXISTS (SELECT 1 FROM desired d WHERE d.profile_id = ta.profile_id)
      RETURNING ta.profile_id, ta.origin_profile_id, ta.value
    ),
    added AS (
      INSERT INTO tag_assignments (workspace_id, tag_id, profile_id, origin_profile_id, value, source, assigned_at)
      SELECT ${workspaceId}, ${tagId}, d.profile_id, d.profile_id, ${tag.rule_value}, 'rule', ${now} FROM desired d
      WHERE NOT EXISTS (SELECT 1 FROM tag_assignments ta WHERE ta.workspace_id = ${workspaceId} AND ta.tag_id = ${tagId} AND ta.profile_id = d.profile_id)
      RETURNING profile_id, origin_profile_id, value
    ),
    history AS (
      INSERT INTO tag_history (workspace_id, tag_id, profile_id, origin_profile_id, action, value, cause, at)
      SELECT ${workspaceId}::text, ${tagId}::text, profile_id, origin_profile_id, 'remove', value, 'rule', ${now}::timestamptz FROM removed
      UNION ALL
      SELECT ${workspaceId}::text, ${tagId}::text, profile_id, origin_profile_id, 'apply', value, 'rule', ${now}::timestamptz FROM added
    )
    SELECT (SELECT count(*) FROM added)::int AS added, (SELECT count(*) FROM removed)::int AS removed`.execute(db);
  await db.updateTable('tags').set({ computed_at: now }).where('workspace_id', '=', workspaceId).where('id', '=', tagId).execute();
  return rows[0] ?? { added: 0, removed: 0 };
}

export interface RuleTagChange {
  tagId: string;
  profileId: number;
  /** true: the profile now holds the tag; false: it no longer does. */
  holds: boolean;
  value: string;
}

/**
 * Applies real-time decisions (only actual changes are passed in), with history, in the caller's transaction: one
 * statement for all of them, the rows passed as arrays (a VALUES list of thousands of rows cost more to build, send
 * and parse than to write). History follows what was written: an add that found its row already there (another pass
 * decided the same meanwhile) records nothing; a removal takes every origin's row of (tag, profile), each with a
 * history row.
 */
export async function applyRuleTagChanges(db: Kysely<DB>, workspaceId: string, changes: RuleTagChange[], now: Date): Promise<void> {
  if (changes.length === 0) return;
  const adds = changes.filter((c) => c.holds);
  const removes = changes.filter((c) => !c.holds);
  await sql`
    WITH added AS (
      INSERT INTO tag_assignments (workspace_id, tag_id, profile_id, origin_profile_id, value, source, assigned_at)
      SELECT ${workspaceId}, a.tag_id, a.profile_id, a.profile_id, a.value, 'rule', ${now}
      FROM unnest(${adds.map((c) => c.tagId)}::text[], ${adds.map((c) => c.profileId)}::bigint[], ${adds.map((c) => c.value)}::text[]) AS a(tag_id, profile_id, value)
      ON CONFLICT DO NOTHING
      RETURNING tag_id, profile_id, origin_profile_id, value
    ),
    removed AS (
      DELETE FROM tag_assignments ta USING unnest(${removes.map((c) => c.tagId)}::text[], ${removes.map((c) => c.profileId)}::bigint[]) AS r(tag_id, profile_id)
      WHERE ta.workspace_id = ${workspaceId} AND ta.tag_id = r.tag_id AND ta.profile_id = r.profile_id
      RETURNING ta.tag_id, ta.profile_id, ta.origin_profile_id, ta.value
    )
    INSERT INTO tag_history (workspace_id, tag_id, profile_id, origin_profile_id, action, value, cause, at)
    SELECT ${workspaceId}, tag_id, profile_id, origin_profile_id, 'apply', value, 'rule', ${now}::timestamptz FROM added
    UNION ALL
    SELECT ${workspaceId}, tag_id, profile_id, origin_profile_id, 'remove', value, 'rule', ${now}::timestamptz FROM removed`.execute(db);
}

/**
 * The live rule tags of a workspace, with their parsed rules. `parse` gets each rule as its JSON text (e.g. a parser
 * caching by text: the real-time pass reads the rules for every claim, and the text needs neither JSON.parse nor
 * JSON.stringify to be a cache key).
 */
export async function liveRuleTags(db: Kysely<DB>, workspaceId: string, parse: (ruleText: string) => Rule = (text) => parseRule(JSON.parse(text))) {
  const rows = await db
    .selectFrom('tags')
    .select(['id', sql<string>`rule::text`.as('rule'), 'rule_value'])
    .where('workspace_id', '=', workspaceId)
    .where('kind', '=', 'rule')
    .where('archived_at', 'is', null)
    .where('merged_into', 'is', null)
    .execute();
  return rows.map((r) => ({ id: r.id, value: r.rule_value, rule: parse(r.rule) }));
}
