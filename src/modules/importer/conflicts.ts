import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Identifier, IdentifierRules } from '../identity/index.js';
import type { Reject } from './records.js';

/**
 * Rows imported with an identity conflict: stored and counted as imported, but OneID refused to join some of their
 * identifiers (an identifier another profile holds with a different member number or phone, over a type's limit per
 * profile, or profiles an operator separated). Found after the chunk has settled, only for rows that went ingest's
 * general path (a bulk-path row has only new identifiers and cannot conflict) and that this chunk newly stored:
 *
 * - OneID records each refused pair in identity_conflicts under the message whose link it refused: the row lost.
 * - OneID applies links in order of their time, so a row dated earlier than the stored member (joined_at in a CRM
 *   export against a profile captured live) takes the identifier, and the refused link is the stored member's, under
 *   its own message: a conflict touching one of the row's identifiers that was not there before the chunk (`before`,
 *   from conflictsTouching) is the row's too.
 *
 * Decided: a row found already stored (unchanged: a re-run of the same file) is not reported again. Its conflict was
 * reported by the run that stored it and stays on the profile page; the re-run wrote nothing, so reporting it as a
 * conflict of this run would count the same fact once per run.
 */
export async function importedWithConflict(
  db: Db,
  workspaceId: string,
  rows: Array<{ messageId: string; line: number; identifiers?: Identifier[] }>,
  rules: IdentifierRules,
  before?: Set<string>,
): Promise<Reject[]> {
  if (!rows.length) return [];
  const byMessage = new Map(rows.map((r) => [r.messageId, r]));
  const touching = before ? identifierArrays(rows) : { types: [], values: [] };
  // The holder is the side whose profile already has the limited type; its values of that type name the clash.
  const { rows: hits } = await sql<{ a: number | string; b: number | string; message_id: string; reason: string }>`
    WITH ${identifierIds(workspaceId, touching)}
    ${conflictsOf(workspaceId)}
    UNION
    SELECT c.a, c.b, c.message_id, c.reason FROM identity_conflicts c
    WHERE c.workspace_id = ${workspaceId} AND c.message_id = ANY(${[...byMessage.keys()]}::text[])
    ORDER BY a, b`.execute(db);
  if (!hits.length) return [];
  // Their two sides, in a second statement that knows how many conflicts there are: planned with the search above,
  // on its estimate of thousands, it hashed every identifier of the workspace and was JIT-compiled (0.3 s).
  const { rows: found } = await sql<ConflictRow>`
    SELECT c.a, c.b, c.message_id, c.reason, ia.type AS a_type, ia.value AS a_value, ia.profile_id AS a_profile,
           ib.type AS b_type, ib.value AS b_value, ib.profile_id AS b_profile, h.held
    FROM unnest(${hits.map((h) => String(h.a))}::bigint[], ${hits.map((h) => String(h.b))}::bigint[], ${hits.map((h) => h.message_id)}::text[],
      ${hits.map((h) => h.reason)}::text[]) WITH ORDINALITY AS c(a, b, message_id, reason, ord)
    JOIN identifiers ia ON ia.workspace_id = ${workspaceId} AND ia.id = c.a
    JOIN identifiers ib ON ib.workspace_id = ${workspaceId} AND ib.id = c.b
    LEFT JOIN LATERAL (
      SELECT array_agg(x.value ORDER BY x.value) AS held FROM (
        SELECT i.value FROM identifiers i
        WHERE i.workspace_id = ${workspaceId} AND i.type = substr(c.reason, 7)
          AND i.profile_id = (CASE WHEN ia.type = substr(c.reason, 7) THEN ib.profile_id ELSE ia.profile_id END)
        ORDER BY i.value LIMIT 3) x
    ) h ON c.reason LIKE 'limit:%'
    ORDER BY c.ord`.execute(db);
  const reasons = new Map<number, string[]>();
  const add = (line: number, why: string) => (reasons.get(line) ?? reasons.set(line, []).get(line)!).push(why);
  for (const r of found) {
    const own = byMessage.get(r.message_id);
    if (own) {
      add(own.line, describe(r, rules));
      continue;
    }
    if (!before || before.has(conflictKey(r))) continue; // there before this chunk: not this chunk's doing
    const sides = new Set([`${r.a_type}\u0000${r.a_value}`, `${r.b_type}\u0000${r.b_value}`]);
    for (const row of rows) {
      if (row.identifiers?.some((i) => sides.has(`${i.type}\u0000${i.value}`))) {
        add(row.line, `${describe(r, rules)}; this row is dated earlier than what was stored, so OneID gave the identifier to it`);
      }
    }
  }
  return [...reasons].map(([line, why]) => ({ line, reason: `imported with an identity conflict: ${why.join('; ')}` })).sort((a, b) => a.line - b.line);
}

/**
 * The conflicts touching the given rows' identifiers, as they stand before the rows are written (keys for
 * importedWithConflict's `before`). One query.
 */
export async function conflictsTouching(db: Db, workspaceId: string, rows: Array<{ identifiers: Identifier[] }>): Promise<Set<string>> {
  const { types, values } = identifierArrays(rows);
  if (!types.length) return new Set();
  const { rows: found } = await sql<{ a: number; b: number; message_id: string }>`
    WITH ${identifierIds(workspaceId, { types, values })}
    ${conflictsOf(workspaceId)}`.execute(db);
  return new Set(found.map(conflictKey));
}

/**
 * `ids`: the ids of the given identifiers, each found by its key (type, value). Joined as a set, the planner hashed
 * every identifier of the workspace (94 ms a 5,000-row chunk at 294,000 identifiers, spilling to disk; 27 ms now).
 */
const identifierIds = (workspaceId: string, { types, values }: { types: string[]; values: string[] }) => sql`ids AS MATERIALIZED (
      SELECT i.id FROM unnest(${types}::text[], ${values}::text[]) AS x(t, v)
      CROSS JOIN LATERAL (SELECT i.id FROM identifiers i WHERE i.workspace_id = ${workspaceId} AND i.type = x.t AND i.value = x.v LIMIT 1) i
    )`;

/** The conflicts with one of `ids` on either side: by the key (a, b) for `a`, by identity_conflicts_b (0010) for `b`. */
const conflictsOf = (workspaceId: string) => sql`
      SELECT c.a, c.b, c.message_id, c.reason FROM identity_conflicts c WHERE c.workspace_id = ${workspaceId} AND c.a IN (SELECT id FROM ids)
      UNION
      SELECT c.a, c.b, c.message_id, c.reason FROM identity_conflicts c WHERE c.workspace_id = ${workspaceId} AND c.b IN (SELECT id FROM ids)`;

const conflictKey = (c: { a: number | string; b: number | string; message_id: string }) => `${String(c.a)}:${String(c.b)}:${c.message_id}`;

function identifierArrays(rows: Array<{ identifiers?: Identifier[] }>): { types: string[]; values: string[] } {
  const seen = new Set<string>();
  const types: string[] = [];
  const values: string[] = [];
  for (const row of rows) {
    for (const i of row.identifiers ?? []) {
      const key = `${i.type}\u0000${i.value}`;
      if (seen.has(key)) continue;
      seen.add(key);
      types.push(i.type);
      values.push(i.value);
    }
  }
  return { types, values };
}

interface ConflictRow {
  a: number | string;
  b: number | string;
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
