import type { Db } from '../../platform/db/database.js';
import { AppError } from '../../platform/errors.js';
import { findCharacter } from '../../platform/http/validation.js';
import type { PreparedMessage } from '../ingest/index.js';
import { loadIdentifierRules } from '../identity/index.js';
import { customerIdentifiers, parseOrders, upsertOrders } from '../orders/index.js';
import { conflictsTouching, importedWithConflict } from './conflicts.js';
import { storeMembers } from './members.js';
import { memberRowToMessage, orderRecordsToOrders, type Reject, type SourceRecord } from './records.js';
import { applyRefunds, refundRecordsToRefunds } from './refunds.js';
import { rolledBack } from './rehearse.js';
import { isDatabase, kyselyOf, type ImportTarget } from './stage.js';

export type ImportKind = 'members' | 'orders' | 'refunds';
export const IMPORT_KINDS = ['members', 'orders', 'refunds'] as const;

export interface ChunkResult {
  imported: number;
  unchanged: number;
  rejects: Reject[];
  /**
   * Of the imported: rows stored with an identity conflict (OneID refused to join some of their identifiers, e.g. a
   * phone that another profile with another member number holds), each with its line and why (importer/conflicts.ts).
   */
  conflicts: Reject[];
}

/**
 * Applies one chunk of records: good rows are stored (set-based), bad rows come back as rejects with their line and
 * reason. The same function runs in the CLI process or, through the control API, in the server that owns the data
 * folder. Pass the full Database where there is one: on PostgreSQL it lets member rows be staged with COPY.
 */
export async function applyImportChunk(
  target: ImportTarget,
  workspaceId: string,
  kind: ImportKind,
  records: SourceRecord[],
  opts: ImportChunkOptions = {},
): Promise<ChunkResult> {
  if (opts.dryRun) {
    // Applied for real on one connection and rolled back (see rolledBack): the outcome of each row against the stored
    // data (unchanged, an identity conflict, a refund of an unknown order) is the import's own, and nothing stays.
    if (!isDatabase(target)) throw new AppError('internal', 'a dry run needs the Database, not only its Kysely handle');
    return rolledBack(target, (rehearsal) => applyImportChunk(rehearsal, workspaceId, kind, records));
  }
  if (kind === 'members') return applyMembers(target, workspaceId, records);
  if (kind === 'orders') return applyOrders(kyselyOf(target), workspaceId, records);
  return applyRefundRows(kyselyOf(target), workspaceId, records);
}

export interface ImportChunkOptions {
  /**
   * Check only: the chunk is applied as the import would apply it, against the stored data, and rolled back, so the
   * counts and rejects are the real run's for this chunk and nothing is written. Chunks are rehearsed one by one, each
   * without the others' rows: a row that would conflict only with a row of an earlier chunk is not seen.
   */
  dryRun?: boolean;
}

async function applyMembers(target: ImportTarget, workspaceId: string, records: SourceRecord[]): Promise<ChunkResult> {
  const rejects: Reject[] = [];
  const messages: PreparedMessage[] = [];
  const seen = new Set<string>();
  let repeated = 0;
  const receivedAt = new Date();
  const timeZone = (await kyselyOf(target).selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirst())?.timezone ?? 'UTC';
  for (const rec of records) {
    const unreadable = unreadableReject(rec.line, rec.record);
    if (unreadable) {
      rejects.push(unreadable);
      continue;
    }
    const r = memberRowToMessage(rec, receivedAt, timeZone);
    if ('reject' in r) rejects.push(r.reject);
    else if (seen.has(r.message.messageId)) repeated++; // the same row twice in one chunk: one fact
    else {
      seen.add(r.message.messageId);
      messages.push(r.message);
    }
  }
  const stored = await storeMembers(target, workspaceId, messages);
  return { imported: stored.imported, unchanged: stored.unchanged + repeated, rejects: rejects.sort((a, b) => a.line - b.line), conflicts: stored.conflicts };
}

async function applyOrders(db: Db, workspaceId: string, records: SourceRecord[]): Promise<ChunkResult> {
  // An order's item rows stand or fall together: a NUL or U+FFFD in any of them rejects the whole order.
  const all = orderRecordsToOrders(records);
  const rejects: Reject[] = [];
  const grouped = all.filter((g) => {
    const reject = g.reject ? { line: g.line, reason: `order ${String(g.order.orderId)}: ${g.reject}` } : unreadableReject(g.line, g.order);
    if (reject) rejects.push(reject);
    return !reject;
  });
  const { orders: parsed, errors } = parseOrders(grouped.map((g) => g.order));
  const bad = new Set(errors.map((e) => e.index!));
  rejects.push(...errors.map((e) => ({ line: grouped[e.index!]!.line, reason: `${e.path?.replace(/^orders\[\d+\]\.?/, '') || 'order'}: ${e.message}` })));
  const goodGroups = grouped.filter((_, i) => !bad.has(i)); // one parsed order each, in order
  // An order's customer resolves under the message id `order:<id>` (orders/service.ts), so a conflict its identifiers
  // ran into is found as a member row's is, and one it caused by being dated earlier than the stored member by the
  // conflicts its identifiers had before. Only orders this chunk created or changed: an unchanged one was reported by
  // the run that stored it. A changed order whose customer conflicted before is reported again (its one message id
  // carries every version's links).
  const customers = new Map(goodGroups.map((g, k) => [parsed[k]!.orderId, { line: g.line, identifiers: customerIdentifiers(parsed[k]!.customer) }]));
  const before = goodGroups.length ? await conflictsTouching(db, workspaceId, [...customers.values()]) : new Set<string>();
  const results = goodGroups.length ? await upsertOrders(db, workspaceId, goodGroups.map((g) => g.order)) : [];
  const unchanged = results.filter((r) => r.outcome === 'unchanged').length;
  const written = results.filter((r) => r.outcome !== 'unchanged' && customers.has(r.orderId)).map((r) => ({ messageId: `order:${r.orderId}`, ...customers.get(r.orderId)! }));
  const conflicts = written.length ? await importedWithConflict(db, workspaceId, written, await loadIdentifierRules(db, workspaceId), before) : [];
  // Reject lines are unique per order; several error fields of one order keep the first.
  const seen = new Set<number>();
  return {
    imported: results.length - unchanged,
    unchanged,
    rejects: rejects.filter((r) => (seen.has(r.line) ? false : (seen.add(r.line), true))).sort((a, b) => a.line - b.line),
    conflicts,
  };
}

async function applyRefundRows(db: Db, workspaceId: string, records: SourceRecord[]): Promise<ChunkResult> {
  const rejects: Reject[] = [];
  const groups = refundRecordsToRefunds(records).filter((g) => {
    const unreadable = unreadableReject(g.line, g.refund);
    if (unreadable) rejects.push(unreadable);
    return !unreadable;
  });
  const result = await applyRefunds(db, workspaceId, groups);
  // A refund names a stored order: it resolves no identity.
  return { imported: result.imported, unchanged: result.unchanged, rejects: [...rejects, ...result.rejects].sort((a, b) => a.line - b.line), conflicts: [] };
}

/**
 * A record that cannot be stored as it is: a NUL character (PostgreSQL text and jsonb cannot hold it, so it would
 * fail its chunk), or U+FFFD, which the reader puts where the file's bytes were not valid in its encoding (a file
 * that mixes encodings): storing it would silently keep a garbled name or address.
 */
function unreadableReject(line: number, record: Record<string, unknown>): Reject | undefined {
  const at = findCharacter(record, '', (text) => text.includes('\u0000') || text.includes('\uFFFD'));
  if (at === undefined) return undefined;
  // A NUL in a column's name is shown escaped: the rejects file must not carry one either.
  const field = at.replaceAll('\u0000', '\\u0000') || 'a column name';
  return findCharacter(record, '', (text) => text.includes('\u0000')) === at
    ? { line, reason: `${field} holds a NUL character (\\u0000), which cannot be stored` }
    : { line, reason: `${field} holds bytes that are not valid text in the file's encoding (shown as �): save the file in one encoding (UTF-8 or GB18030), or name it with --encoding` };
}
