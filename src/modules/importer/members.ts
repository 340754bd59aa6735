import { sql } from 'kysely';
import {
  BULK_IDENTIFIER_COLUMNS,
  BULK_PEOPLE_COLUMNS,
  bulkCandidates,
  createBulkStage,
  bulkIdentifierRows,
  loadIdentifierRules,
  writeNewPeopleInBulk,
  type IdentifierRules,
} from '../identity/index.js';
import { storeMessagesReturningInserted, type PreparedMessage } from '../ingest/index.js';
import { conflictsTouching, importedWithConflict } from './conflicts.js';
import type { Reject } from './records.js';
import { inStagingTransaction, kyselyOf, type Columns, type ImportTarget } from './stage.js';

const PEOPLE = 'siyu_import_people';
const IDENTIFIERS = 'siyu_import_identifiers';
/** Identity's columns plus what the identify event needs. */
const EVENT_COLUMNS: Columns = [['user_id', 'text'], ['anonymous_id', 'text'], ['received_at', 'timestamptz'], ['context', 'jsonb']];
export const PEOPLE_COLUMNS: Columns = [...BULK_PEOPLE_COLUMNS, ...EVENT_COLUMNS];

export interface StoredMembers {
  imported: number;
  unchanged: number;
  /** Of the imported: written by the bulk path for new people. */
  bulk: number;
  /** Of the imported: rows OneID stored with an identity conflict, by line (the message's index), with why. */
  conflicts: Reject[];
}

/**
 * Stores member identify messages (distinct message ids). Rows whose identifiers are all new — a first import —
 * take identity's bulk path in one transaction (staged with COPY on PostgreSQL); every other row (a known person,
 * two rows of one person, a row another writer just created) takes ingest's general path, with OneID's limits,
 * conflicts and merges. Either way each row is stored as one identify event, so a re-run changes nothing.
 */
export async function storeMembers(target: ImportTarget, workspaceId: string, messages: PreparedMessage[]): Promise<StoredMembers> {
  if (!messages.length) return { imported: 0, unchanged: 0, bulk: 0, conflicts: [] };
  const db = kyselyOf(target);
  const rules = await loadIdentifierRules(db, workspaceId);
  const eligible = bulkCandidates(messages.map((m) => m.identifiers), rules);
  const candidates = messages.filter((_, i) => eligible[i]);
  const general = messages.filter((_, i) => !eligible[i]);
  let imported = 0;
  let unchanged = 0;
  let bulkCreated = 0;
  let conflicts: Reject[] = [];
  if (candidates.length) {
    const bulk = await retryOnDeadlock(() => writeBulk(target, workspaceId, candidates, rules));
    imported += bulk.created;
    bulkCreated = bulk.created;
    unchanged += bulk.stored;
    general.push(...bulk.fallback.map((k) => candidates[k]!));
  }
  if (general.length) {
    // The conflicts its identifiers had before, so that one the chunk causes by taking an identifier is told apart.
    const before = await conflictsTouching(db, workspaceId, general);
    const inserted = await storeMessagesReturningInserted(db, workspaceId, general);
    imported += inserted.size;
    unchanged += general.length - inserted.size;
    const stored = general.filter((m) => inserted.has(m.messageId));
    conflicts = await importedWithConflict(db, workspaceId, stored.map((m) => ({ messageId: m.messageId, line: m.index, identifiers: m.identifiers })), rules, before);
  }
  return { imported, unchanged, bulk: bulkCreated, conflicts };
}

async function writeBulk(target: ImportTarget, workspaceId: string, messages: PreparedMessage[], rules: IdentifierRules) {
  return inStagingTransaction(target, async (trx, stage) => {
    await createBulkStage(trx, { people: PEOPLE, identifiers: IDENTIFIERS }, EVENT_COLUMNS);
    const rows = stagedRows(messages, rules);
    await stage(PEOPLE, PEOPLE_COLUMNS, rows.people);
    await stage(IDENTIFIERS, BULK_IDENTIFIER_COLUMNS, rows.identifiers);
    const outcome = await writeNewPeopleInBulk(trx, workspaceId, { people: PEOPLE, identifiers: IDENTIFIERS });
    // Already stored (the same row imported before): nothing to do, whatever became of its people since. Such a row's
    // identifiers are all known (an identifier goes only with its profile's events), so it is among the rows the bulk
    // insert gave back, and only those are looked up: a first import's chunk then skips the 5,000 probes of events by
    // message id (11% of the import's statement time at 200,000 members, session 11).
    const stored = outcome.fallback.length
      ? (
          await sql<{ k: number }>`
            UPDATE ${sql.table(PEOPLE)} p SET state = 'stored' FROM events e
            WHERE p.state = 'known' AND e.workspace_id = ${workspaceId} AND e.message_id = p.message_id RETURNING p.k`.execute(trx)
        ).rows.map((r) => r.k)
      : [];
    const storedRows = new Set(stored);
    // The identify events: each belongs to its anchor identifier and the new profile, exactly as ingest writes them.
    await sql`
      INSERT INTO events (workspace_id, message_id, type, event, identifier_id, profile_id, user_id, anonymous_id, "timestamp", received_at, properties, traits, context)
      SELECT ${workspaceId}, p.message_id, 'identify', NULL, s.id, p.profile_id, p.user_id, p.anonymous_id, p.ts, p.received_at, NULL, p.traits, p.context
      FROM ${sql.table(PEOPLE)} p JOIN ${sql.table(IDENTIFIERS)} s ON s.k = p.k AND s.anchor
      WHERE p.state IS NULL`.execute(trx);
    return { created: outcome.created, stored: stored.length, fallback: outcome.fallback.filter((k) => !storedRows.has(k)) };
  });
}

/** The rows staged for a chunk of bulk candidates: its people (with what their identify events need) and identifiers. */
export function stagedRows(messages: PreparedMessage[], rules: IdentifierRules): { people: unknown[][]; identifiers: unknown[][] } {
  const people = messages.map((m, k) => {
    const time = m.timestamp.toISOString();
    const times: Record<string, string> = {};
    for (const key of Object.keys(m.traits ?? {})) times[key] = time;
    return [k, m.messageId, time, m.traits, times, m.userId, m.anonymousId, m.receivedAt.toISOString(), m.context];
  });
  return { people, identifiers: bulkIdentifierRows(messages.map((m, k) => ({ k, identifiers: m.identifiers })), rules) };
}

/** Two chunks in flight (or a chunk and an ingest batch) may still meet in a deadlock the database breaks: retry. */
async function retryOnDeadlock<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= 3 || (code !== '40P01' && code !== '40001')) throw err;
    }
  }
}
