import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { identifierKey, pickAnchor, type Identifier, type IdentifierRules } from './identifiers.js';
import { lockIdentityShared } from './locks.js';

type Trx = Transaction<DB>;

/**
 * The bulk path for people never seen before (a first import): when none of a record's identifiers is known, its
 * component is the record itself, so OneID's answer is known in advance — one new profile holding all of them,
 * linked by a star from the anchor. That is written set-based from staged rows, with the profile id minted first:
 * identifiers are inserted with their profile, the profile with its traits already merged, the links as plain
 * inserts. Nothing is left pending and nothing is updated afterwards. Records touching known identifiers go the
 * general way (writeWithIdentities).
 *
 * The caller stages its records in two temporary tables made by createBulkStage, filling these columns:
 */
export const BULK_PEOPLE_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['k', 'int'], // the caller's record number
  ['message_id', 'text'],
  ['ts', 'timestamptz'], // the record's time
  ['traits', 'jsonb'], // traits set by the record (or null)
  ['trait_times', 'jsonb'], // each trait → ts (ISO string), as profiles.trait_times holds it
];
export const BULK_IDENTIFIER_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['k', 'int'],
  ['ord', 'int'], // global insert order (see bulkIdentifierRows): concurrent writers take index locks in one order
  ['type', 'text'],
  ['value', 'text'],
  ['anchor', 'boolean'], // the record's highest-priority identifier (its events belong to it)
];

/**
 * Creates the two staging tables (dropped at commit). Besides the staged columns, each person gets `state` (null:
 * a candidate; the caller may set any text to leave a record out; 'known' after writeNewPeopleInBulk when the
 * general path must take it) and a `profile_id`, and each identifier an `id`: both minted from their sequences by
 * column defaults while the rows are staged, so nothing is updated afterwards.
 */
export async function createBulkStage(
  trx: Trx,
  tables: { people: string; identifiers: string },
  extraPeopleColumns: ReadonlyArray<readonly [string, string]> = [],
): Promise<void> {
  const { rows } = await sql<{ seq: string }>`SELECT pg_get_serial_sequence('identifiers', 'id') AS seq`.execute(trx);
  const literal = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const cols = (c: ReadonlyArray<readonly [string, string]>) => c.map(([n, t]) => `${n} ${t}`).join(', ');
  await sql.raw(`CREATE TEMP TABLE ${tables.people} (${cols([...BULK_PEOPLE_COLUMNS, ...extraPeopleColumns])},
    state text, profile_id bigint DEFAULT nextval('profile_id_seq')) ON COMMIT DROP`).execute(trx);
  await sql.raw(`CREATE TEMP TABLE ${tables.identifiers} (${cols(BULK_IDENTIFIER_COLUMNS)},
    id bigint DEFAULT nextval(${literal(rows[0]!.seq)}::regclass)) ON COMMIT DROP`).execute(trx);
}

/**
 * Which records can take the bulk path, judged within the batch alone: each identifier appears in no other record
 * of the batch, and the record alone respects every type's limit (otherwise OneID would refuse a link and record a
 * conflict: the general path does that). Whether the identifiers are already known is decided in the database.
 */
export function bulkCandidates(records: Identifier[][], rules: IdentifierRules): boolean[] {
  const keys = records.map((ids) => ids.map(identifierKey));
  const seen = new Map<string, number>();
  for (const ks of keys) for (const k of ks) seen.set(k, (seen.get(k) ?? 0) + 1);
  return records.map((ids, r) => {
    if (!ids.length || keys[r]!.some((k) => seen.get(k) !== 1)) return false;
    if (ids.length === 1) return true;
    const perType = new Map<string, number>();
    for (const i of ids) perType.set(i.type, (perType.get(i.type) ?? 0) + 1);
    for (const [type, n] of perType) {
      const max = rules(type).maxPerProfile;
      if (max !== null && n > max) return false;
    }
    return true;
  });
}

/**
 * Rows for the staged identifiers table of the candidates: anchor marked, and `ord` following the order in which
 * ingest inserts identifiers (type, then value, compared as JavaScript strings), so a bulk writer and a concurrent
 * ingest batch wait on each other's new identifiers in one order and cannot deadlock.
 */
export function bulkIdentifierRows(records: Array<{ k: number; identifiers: Identifier[] }>, rules: IdentifierRules): Array<[number, number, string, string, boolean]> {
  const rows: Array<[number, number, string, string, boolean]> = [];
  for (const r of records) {
    const anchor = pickAnchor(r.identifiers, rules)!;
    for (const i of r.identifiers) rows.push([r.k, 0, i.type, i.value, i === anchor]);
  }
  rows.sort((x, y) => (x[2] < y[2] ? -1 : x[2] > y[2] ? 1 : x[3] < y[3] ? -1 : x[3] > y[3] ? 1 : 0));
  rows.forEach((row, n) => (row[1] = n));
  return rows;
}

export interface BulkOutcome {
  /** Records written as new people. */
  created: number;
  /** Records that must take the general path: an identifier was already known, or another writer created it first. */
  fallback: number[];
}

/**
 * Writes the staged candidates whose identifiers are all unknown as new people (see above), in the caller's
 * transaction, holding the workspace's identity lock in shared mode like any ingest batch. Afterwards the new
 * people are the rows with `state IS NULL`, each with its `profile_id`, and their identifiers carry their `id`, so
 * the caller can write the records themselves (anchored to the identifier marked `anchor`).
 */
export async function writeNewPeopleInBulk(trx: Trx, workspaceId: string, tables: { people: string; identifiers: string }): Promise<BulkOutcome> {
  const people = sql.table(tables.people);
  const ids = sql.table(tables.identifiers);
  await lockIdentityShared(trx, workspaceId);
  // Insert every candidate's identifiers with the candidate's profile. One already there (known, or created by a
  // concurrent writer, whose commit this waits for) is skipped by ON CONFLICT; its record then takes the general
  // path, and whatever else that record inserted here is taken back.
  const { rows } = await sql<{ inserted: number; staged: number }>`
    WITH ins AS (
      INSERT INTO identifiers (workspace_id, id, type, value, first_seen_at, profile_id, origin_profile_id) OVERRIDING SYSTEM VALUE
      SELECT ${workspaceId}, s.id, s.type, s.value, p.ts, p.profile_id, p.profile_id
      FROM ${ids} s JOIN ${people} p ON p.k = s.k WHERE p.state IS NULL
      ORDER BY s.ord
      ON CONFLICT (workspace_id, type, value) DO NOTHING
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM ins)::int AS inserted,
           (SELECT count(*) FROM ${ids} s JOIN ${people} p ON p.k = s.k WHERE p.state IS NULL)::int AS staged`.execute(trx);
  let fallback: number[] = [];
  if (rows[0]!.inserted < rows[0]!.staged) {
    const taken = await sql<{ k: number }>`
      WITH taken AS (
        SELECT DISTINCT s.k FROM ${ids} s JOIN ${people} p ON p.k = s.k
        WHERE p.state IS NULL AND NOT EXISTS (SELECT 1 FROM identifiers i WHERE i.workspace_id = ${workspaceId} AND i.id = s.id)
      ), undo AS (
        DELETE FROM identifiers i USING ${ids} s
        WHERE s.k IN (SELECT k FROM taken) AND i.workspace_id = ${workspaceId} AND i.id = s.id
      )
      UPDATE ${people} p SET state = 'known' FROM taken WHERE p.k = taken.k
      RETURNING p.k`.execute(trx);
    fallback = taken.rows.map((r) => r.k);
  }
  const created = await sql`
    WITH prof AS (
      INSERT INTO profiles (workspace_id, id, traits, trait_times, first_seen_at, last_seen_at)
      SELECT ${workspaceId}, profile_id, coalesce(traits, '{}'::jsonb), coalesce(trait_times, '{}'::jsonb), ts, ts
      FROM ${people} WHERE state IS NULL
    ), links AS (
      INSERT INTO identity_links (workspace_id, a, b, event_time, message_id)
      SELECT ${workspaceId}, least(x.id, o.id), greatest(x.id, o.id), p.ts, p.message_id
      FROM ${ids} x JOIN ${ids} o ON o.k = x.k AND NOT o.anchor JOIN ${people} p ON p.k = x.k
      WHERE x.anchor AND p.state IS NULL
    )
    INSERT INTO profile_changes (workspace_id, profile_id)
    SELECT ${workspaceId}, profile_id FROM ${people} WHERE state IS NULL
    ON CONFLICT (workspace_id, profile_id) DO NOTHING`.execute(trx);
  return { created: Number(created.numAffectedRows ?? 0), fallback };
}
