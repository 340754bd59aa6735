import type { Db } from '../../platform/db/database.js';
import { prepareMessages, storeMessages } from '../ingest/index.js';
import { parseOrders, upsertOrders } from '../orders/index.js';
import { memberRowToMessage, orderRecordsToOrders, type Reject, type SourceRecord } from './records.js';

export type ImportKind = 'members' | 'orders';

export interface ChunkResult {
  imported: number;
  unchanged: number;
  rejects: Reject[];
}

/**
 * Applies one chunk of records: good rows are stored (set-based, one transaction), bad rows come back as rejects
 * with their line and reason. The same function runs in the CLI process or, through the control API, in the
 * server that owns the data folder.
 */
export async function applyImportChunk(db: Db, workspaceId: string, kind: ImportKind, records: SourceRecord[]): Promise<ChunkResult> {
  return kind === 'members' ? applyMembers(db, workspaceId, records) : applyOrders(db, workspaceId, records);
}

async function applyMembers(db: Db, workspaceId: string, records: SourceRecord[]): Promise<ChunkResult> {
  const rejects: Reject[] = [];
  const messages: Record<string, unknown>[] = [];
  const lines: number[] = [];
  for (const rec of records) {
    const r = memberRowToMessage(rec);
    if ('reject' in r) rejects.push(r.reject);
    else {
      messages.push(r.message);
      lines.push(rec.line);
    }
  }
  const { messages: prepared, errors } = prepareMessages(messages, { receivedAt: new Date() });
  for (const e of errors) rejects.push({ line: lines[e.index!]!, reason: e.message });
  const stored = prepared.length ? await storeMessages(db, workspaceId, prepared) : { accepted: 0, duplicates: 0 };
  return { imported: stored.accepted, unchanged: stored.duplicates, rejects: rejects.sort((a, b) => a.line - b.line) };
}

async function applyOrders(db: Db, workspaceId: string, records: SourceRecord[]): Promise<ChunkResult> {
  const grouped = orderRecordsToOrders(records);
  const { errors } = parseOrders(grouped.map((g) => g.order));
  const bad = new Set(errors.map((e) => e.index!));
  const rejects: Reject[] = errors.map((e) => ({ line: grouped[e.index!]!.line, reason: `${e.path?.replace(/^orders\[\d+\]\.?/, '') || 'order'}: ${e.message}` }));
  const good = grouped.filter((_, i) => !bad.has(i)).map((g) => g.order);
  const results = good.length ? await upsertOrders(db, workspaceId, good) : [];
  const unchanged = results.filter((r) => r.outcome === 'unchanged').length;
  // Reject lines are unique per order; several error fields of one order keep the first.
  const seen = new Set<number>();
  return {
    imported: results.length - unchanged,
    unchanged,
    rejects: rejects.filter((r) => (seen.has(r.line) ? false : (seen.add(r.line), true))).sort((a, b) => a.line - b.line),
  };
}
