import fs from 'node:fs';
import { AppError } from '../../platform/errors.js';
import type { ChunkResult, ImportKind } from './apply.js';
import { csvOrderId, csvRefundId } from './columns.js';
import { parseEncoding, type ImportEncoding } from './decode.js';
import { detectFormat, readRecords } from './read.js';
import { checkHeader } from './header.js';
import type { Reject, SourceRecord } from './records.js';

export interface ImportProgress {
  rows: number;
  imported: number;
  unchanged: number;
  rejected: number;
  /** Of the imported: rows stored with an identity conflict (listed with their lines in the conflicts file). */
  conflicts: number;
  bytesRead: number;
  totalBytes: number;
  elapsedMs: number;
  /** The encoding the file is read in, once known (given, or sniffed from its first bytes). */
  encoding: ImportEncoding | null;
}

export interface ImportSummary extends ImportProgress {
  rejectsFile: string | null;
  conflictsFile: string | null;
}

export interface ImportRunOptions {
  kind: ImportKind;
  file: string;
  format?: string;
  /** `auto` (default), `utf-8`, `gb18030` (or `gbk`), `utf-16le`, `utf-16be`. */
  encoding?: string;
  chunkSize?: number;
  rejectsFile?: string;
  /** Where to list the rows imported with an identity conflict (default: FILE.conflicts.csv). */
  conflictsFile?: string;
  /**
   * Start the rejects and conflicts files with a UTF-8 byte-order mark, as the API's CSV downloads do, so Excel and WPS on Chinese
   * Windows show its reasons and values instead of garble (default false: the bare bytes; the CLI asks for it).
   */
  rejectsBom?: boolean;
  /** Chunks applied at once (default 1). Member chunks of different people commute, so PostgreSQL can take 2. */
  concurrency?: number;
  /** Applies one chunk: directly on the database, or through the running server. */
  apply: (records: SourceRecord[]) => Promise<ChunkResult>;
  onProgress?: (p: ImportProgress) => void;
}

/**
 * Streams a file through the importer in chunks. Good rows are stored, bad rows (with line and reason) go to a
 * rejects file; nothing is silently dropped. Chunks of orders end only between orders, so an order's item rows
 * never straddle two chunks.
 */
export async function runImport(opts: ImportRunOptions): Promise<ImportSummary> {
  if (!fs.existsSync(opts.file)) throw new AppError('invalid_request', `no such file: ${opts.file}`);
  const totalBytes = fs.statSync(opts.file).size;
  if (totalBytes === 0) throw new AppError('invalid_request', `the file is empty: ${opts.kind === 'members' ? 'a member' : opts.kind === 'orders' ? 'an order' : 'a refund'} file needs a header row and a row per ${opts.kind === 'members' ? 'member' : opts.kind === 'orders' ? 'order item' : 'refund'} (CSV), or a JSON object per line`);
  const format = detectFormat(opts.file, opts.format);
  const encoding = parseEncoding(opts.encoding);
  const chunkSize = opts.chunkSize ?? 2000;
  const rejectsPath = opts.rejectsFile ?? `${opts.file}.rejects.csv`;
  const conflictsPath = opts.conflictsFile ?? `${opts.file}.conflicts.csv`;
  const started = Date.now();
  const progress: ImportProgress = { rows: 0, imported: 0, unchanged: 0, rejected: 0, conflicts: 0, bytesRead: 0, totalBytes, elapsedMs: 0, encoding: null };
  const rejects: Reject[] = [];
  const conflicts: Reject[] = [];
  const report = () => {
    progress.elapsedMs = Date.now() - started;
    opts.onProgress?.({ ...progress });
  };
  let chunk: SourceRecord[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const limit = Math.max(1, opts.concurrency ?? 1);
  const flush = async () => {
    if (!chunk.length) return;
    const records = chunk;
    chunk = [];
    const task: Promise<void> = opts
      .apply(records)
      .then((result) => {
        progress.imported += result.imported;
        progress.unchanged += result.unchanged;
        progress.rejected += result.rejects.length;
        rejects.push(...result.rejects);
        const conflicted = result.conflicts ?? []; // a server older than this CLI answers without them
        progress.conflicts += conflicted.length;
        conflicts.push(...conflicted);
        report();
      })
      .catch((err: unknown) => void (failure ??= err))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    while (inFlight.size >= limit) await Promise.race(inFlight);
    if (failure) throw failure;
  };
  // The rows of one order (or refund) go in one chunk, whatever the chunk size.
  const groupOf = (r: SourceRecord) => (opts.kind === 'orders' ? csvOrderId(r.record) : opts.kind === 'refunds' ? csvRefundId(r.record) : undefined);
  const orderIdOf = (r: SourceRecord) => csvOrderId(r.record);
  // A CSV order is its consecutive rows. A row of an order whose rows ended further up would be stored as that order
  // with only its own items (a later version replaces the items), so it is rejected, naming why. This keeps every
  // order id of the file in memory (about 100 bytes each: 100 MB for a million orders).
  const split = opts.kind === 'orders' && format === 'csv' ? { ended: new Set<string>(), current: '' } : undefined;
  try {
    for await (const rec of readRecords(opts.file, format, (r) => {
      rejects.push(r);
      progress.rejected++;
    }, (b) => (progress.bytesRead = b), { encoding, onEncoding: (e) => (progress.encoding = e), checkHeader: (columns) => checkHeader(opts.kind, columns) })) {
      progress.rows++;
      const id = split ? orderIdOf(rec).trim() : '';
      if (split && id !== split.current) {
        if (id && split.ended.has(id)) {
          rejects.push({ line: rec.line, reason: `order ${id}: its rows must be together, but this row comes after rows of other orders, so it was left out and the order stands as its rows above made it (sort the file by order_id and import it again)` });
          progress.rejected++;
          continue;
        }
        if (split.current) split.ended.add(split.current);
        split.current = id;
      }
      const group = groupOf(rec);
      if (chunk.length >= chunkSize && !(group && group === groupOf(chunk[chunk.length - 1]!))) await flush();
      chunk.push(rec);
    }
    await flush();
  } finally {
    await Promise.all(inFlight); // never leave a chunk running behind the caller's back
  }
  if (failure) throw failure;
  progress.bytesRead = totalBytes;
  report();
  // Conflicts get a file of their own rather than rows in the rejects file: a rejected row was not stored, and the
  // operator fixes it and imports it again; a conflicted row was stored (importing it again changes nothing) and is
  // sorted out on the profiles it names. One file per action keeps the rejects file exactly "what to fix and re-send".
  // Both describe this run: a re-run finds the conflicted rows unchanged, reports no new conflict, and removes the file.
  return { ...progress, rejectsFile: writeLines(rejectsPath, rejects, opts.rejectsBom), conflictsFile: writeLines(conflictsPath, conflicts, opts.rejectsBom) };
}

/** Writes `line,reason` rows sorted by line; with none, removes the file, so a clean re-run leaves nothing stale. */
function writeLines(file: string, rows: Reject[], bom = false): string | null {
  if (!rows.length) {
    if (fs.existsSync(file)) fs.rmSync(file);
    return null;
  }
  rows.sort((a, b) => a.line - b.line);
  const csv = ['line,reason', ...rows.map((r) => `${r.line},"${r.reason.replace(/"/g, '""')}"`)].join('\n');
  fs.writeFileSync(file, `${bom ? '\ufeff' : ''}${csv}\n`);
  return file;
}
