import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { IdentifierRules } from '../identity/index.js';
import type { Reject } from './records.js';

/**
 * Rows imported with an identity conflict: stored and counted as imported, but OneID refused to join some of their
 * identifiers (an identifier another profile holds with a different member number or phone, over a type's limit per
 * profile, or profiles an operator separated). OneID records each refused pair in identity_conflicts with the
 * message whose link it refused, so the rows are found by their messages' ids, after the chunk has settled: one
 * query, run only for rows that went ingest's general path (a bulk-path row has only new identifiers and cannot
 * conflict), and only for the rows this chunk newly stored.
 *
 * Decided: a row found already stored (unchanged: a re-run of the same file) is not reported again. Its conflict was
 * reported by the run that stored it and stays on the profile page; the re-run wrote nothing, so reporting it as a
 * conflict of this run would count the same fact once per run.
 *
 * Not seen: OneID applies links in order of their time, so a row whose time (joined_at…) is earlier than the stored
 * member's takes the identifier, and the refused link is then the stored member's, recorded under that member's
 * message: the row is imported without a conflict of its own and the profile page shows the conflict.
 */
export async function importedWithConflict(
  db: Db,
  workspaceId: string,
  rows: Array<{ messageId: string; line: number }>,
  rules: IdentifierRules,
): Promise<Reject[]> {
  if (!rows.length) return [];
  const lineOf = new Map(rows.map((r) => [r.messageId, r.line]));
  // The holder is the side whose profile already has the limited type; its values of that type name the clash.
  const { rows: found } = await sql<ConflictRow>`
    SELECT c.message_id, c.reason, ia.type AS a_type, ia.value AS a_value, ia.profile_id AS a_profile,
           ib.type AS b_type, ib.value AS b_value, ib.profile_id AS b_profile, h.held
    FROM identity_conflicts c
    JOIN identifiers ia ON ia.workspace_id = c.workspace_id AND ia.id = c.a
    JOIN identifiers ib ON ib.workspace_id = c.workspace_id AND ib.id = c.b
    LEFT JOIN LATERAL (
      SELECT array_agg(x.value ORDER BY x.value) AS held FROM (
        SELECT i.value FROM identifiers i
        WHERE i.workspace_id = c.workspace_id AND i.type = substr(c.reason, 7)
          AND i.profile_id = (CASE WHEN ia.type = substr(c.reason, 7) THEN ib.profile_id ELSE ia.profile_id END)
        ORDER BY i.value LIMIT 3) x
    ) h ON c.reason LIKE 'limit:%'
    WHERE c.workspace_id = ${workspaceId} AND c.message_id = ANY(${[...lineOf.keys()]}::text[])
    ORDER BY c.message_id, c.a, c.b`.execute(db);
  const reasons = new Map<string, string[]>();
  for (const r of found) (reasons.get(r.message_id) ?? reasons.set(r.message_id, []).get(r.message_id)!).push(describe(r, rules));
  return [...reasons]
    .map(([messageId, why]) => ({ line: lineOf.get(messageId)!, reason: `imported with an identity conflict: ${why.join('; ')}` }))
    .sort((a, b) => a.line - b.line);
}

interface ConflictRow {
  message_id: string;
  reason: string;
  a_type: string;
  a_value: string;
  a_profile: number | null;
  b_type: string;
  b_value: string;
  b_profile: number | null;
  held: string[] | null;
}

/** "phone +8613900000001 belongs to profile 123, which has member_no M2 (at most 1 per profile), so member_no M3 was kept apart from it (profile 456)". */
function describe(r: ConflictRow, rules: IdentifierRules): string {
  const a = { type: r.a_type, value: r.a_value, profile: r.a_profile };
  const b = { type: r.b_type, value: r.b_value, profile: r.b_profile };
  const onProfile = (profile: number | null) => (profile === null ? 'not yet settled' : `profile ${profile}`);
  const both = `${a.type} ${a.value} (${onProfile(a.profile)}) and ${b.type} ${b.value} (${onProfile(b.profile)}) were not joined`;
  if (!r.reason.startsWith('limit:')) return `${both}: their profiles were separated by an operator (unmerge)`;
  const type = r.reason.slice('limit:'.length);
  const max = rules(type).maxPerProfile;
  const limit = max === null ? '' : ` (at most ${max} per profile)`;
  // The row's identifier of the limited type is the one kept apart; the other side's profile has its own.
  const [kept, holder] = a.type === type && b.type !== type ? [a, b] : b.type === type && a.type !== type ? [b, a] : [undefined, undefined];
  if (!kept || !holder || !r.held?.length) return `${both}: together they would have more than the ${type} allowed per profile${limit}`;
  return `${holder.type} ${holder.value} belongs to ${onProfile(holder.profile)}, which has ${type} ${r.held.join(', ')}${limit}, so ${kept.type} ${kept.value} was kept apart from it (${onProfile(kept.profile)})`;
}
