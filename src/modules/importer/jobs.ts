import { envNumber } from '../../platform/config.js';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Database } from '../../platform/db/database.js';
import { AppError, notFound } from '../../platform/errors.js';
import { applyImportChunk, type ImportKind } from './apply.js';
import { parseEncoding, sniffEncoding, SNIFF_BYTES, type ImportEncoding } from './decode.js';
import { detectFormat, type ImportFormat } from './read.js';
import { runImport, type ImportProgress } from './run.js';

/** An import started from the console: the uploaded file runs through runImport in this process. */
export interface ImportJob {
  id: string;
  kind: ImportKind;
  format: ImportFormat;
  fileName: string;
  status: 'running' | 'done' | 'failed';
  /** Rows read so far; `rowsTotal` is the file's line count less the header (exact unless a field spans lines). */
  rows: number;
  rowsTotal: number;
  imported: number;
  unchanged: number;
  rejected: number;
  /** Of the imported: rows stored with an identity conflict (GET …/conflicts lists them with line and reason). */
  conflicts: number;
  bytesRead: number;
  totalBytes: number;
  /** The encoding the file is read in, once known (given, or sniffed from its first bytes). */
  encoding: ImportEncoding | null;
  /** A check only: each chunk was applied and rolled back, so the counts and rejects are what the import would report. */
  dryRun: boolean;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

interface JobEntry {
  job: ImportJob;
  workspaceId: string;
  dir: string;
  rejectsFile: string | null;
  conflictsFile: string | null;
  done: Promise<void>;
}

/** Upload size limit (bytes); `SIYU_IMPORT_MAX_BYTES` overrides it. */
export const MAX_UPLOAD_BYTES = envNumber('SIYU_IMPORT_MAX_BYTES', 512 * 1024 * 1024);
/** Finished jobs (and their rejects files) are kept this long, and at most this many per workspace. */
const KEEP_MS = 24 * 3600_000;
const KEEP_PER_WORKSPACE = 20;

/**
 * The registry of this process's imports. Jobs live in memory: a restart forgets their status (the imported
 * data stays), and with several server processes a job is visible on the one that received the upload.
 */
const jobs = new Map<string, JobEntry>();

/** Streams an upload to a private temporary file (refusing more than `maxBytes`) and starts importing it. */
export async function startImport(
  database: Database,
  workspaceId: string,
  input: { kind: ImportKind; format?: string; encoding?: string; dryRun?: boolean; fileName?: string; body: Readable; maxBytes?: number },
): Promise<ImportJob> {
  const encoding = parseEncoding(input.encoding); // a bad name is refused before the upload is read
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-upload-'));
  const fileName = path.basename(input.fileName ?? `${input.kind}.${input.format === 'jsonl' ? 'jsonl' : 'csv'}`).slice(0, 200);
  const format = detectFormat(fileName, input.format);
  const file = path.join(dir, `upload.${format}`);
  const max = input.maxBytes ?? MAX_UPLOAD_BYTES;
  let bytes = 0;
  try {
    const limit = new Transform({
      transform(chunk: Buffer, _enc, callback) {
        bytes += chunk.length;
        if (bytes > max) callback(new AppError('payload_too_large', `the file is larger than ${Math.round(max / 1024 / 1024)} MB`));
        else callback(null, chunk);
      },
    });
    await pipeline(input.body, limit, fs.createWriteStream(file, { mode: 0o600 }));
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw err instanceof AppError ? err : new AppError('invalid_request', `the upload did not complete: ${(err as Error).message}`);
  }
  if (bytes === 0) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new AppError('invalid_request', 'the file is empty');
  }
  if (encoding === 'auto') {
    // A workbook or other non-text file is refused now, in the upload's answer, rather than as a failed job.
    try {
      sniffEncoding(readHead(file, SNIFF_BYTES), bytes <= SNIFF_BYTES);
    } catch (err) {
      fs.rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const job: ImportJob = {
    id: `imp_${randomBytes(9).toString('base64url')}`,
    kind: input.kind,
    format,
    fileName,
    status: 'running',
    rows: 0,
    rowsTotal: Math.max(0, (await countLines(file)) - (format === 'csv' ? 1 : 0)),
    imported: 0,
    unchanged: 0,
    rejected: 0,
    conflicts: 0,
    bytesRead: 0,
    totalBytes: bytes,
    encoding: encoding === 'auto' ? null : encoding,
    dryRun: input.dryRun === true,
    startedAt: new Date().toISOString(),
    finishedAt: null,
    error: null,
  };
  const entry: JobEntry = { job, workspaceId, dir, rejectsFile: null, conflictsFile: null, done: Promise.resolve() };
  const update = (p: ImportProgress) =>
    Object.assign(job, { rows: p.rows, imported: p.imported, unchanged: p.unchanged, rejected: p.rejected, conflicts: p.conflicts, bytesRead: p.bytesRead, encoding: p.encoding ?? job.encoding });
  entry.done = runImport({
    kind: input.kind,
    file,
    format,
    encoding,
    rejectsFile: path.join(dir, 'rejects.csv'),
    conflictsFile: path.join(dir, 'conflicts.csv'),
    concurrency: database.kind === 'postgres' && input.kind === 'members' && !input.dryRun ? 2 : 1, // a dry run's chunk holds its locks until rolled back
    apply: (records) => applyImportChunk(database, workspaceId, input.kind, records, { dryRun: input.dryRun === true }),
    onProgress: update,
  }).then(
    (summary) => {
      update(summary);
      entry.rejectsFile = summary.rejectsFile;
      entry.conflictsFile = summary.conflictsFile;
      Object.assign(job, { status: 'done', rowsTotal: summary.rows, finishedAt: new Date().toISOString() });
    },
    (err: unknown) => {
      Object.assign(job, {
        status: 'failed',
        finishedAt: new Date().toISOString(),
        error: err instanceof AppError ? err.message : 'the import stopped on an internal error; see the server log',
      });
      if (!(err instanceof AppError)) console.error('import failed', err);
    },
  ).finally(() => fs.rmSync(file, { force: true }));
  jobs.set(job.id, entry);
  evict(workspaceId);
  return { ...job };
}

function entryOf(workspaceId: string, id: string): JobEntry {
  const entry = jobs.get(id);
  if (!entry || entry.workspaceId !== workspaceId) throw notFound(`import ${id}`);
  return entry;
}

export function getImport(workspaceId: string, id: string): ImportJob {
  return { ...entryOf(workspaceId, id).job };
}

export function listImports(workspaceId: string): ImportJob[] {
  return [...jobs.values()].filter((e) => e.workspaceId === workspaceId).map((e) => ({ ...e.job })).reverse();
}

/** The rejected rows of a finished import, as the CSV the CLI writes (`line,reason`). */
export function importRejects(workspaceId: string, id: string): string {
  const entry = entryOf(workspaceId, id);
  if (entry.job.status === 'running') throw new AppError('conflict', 'the import is still running: its rejects are written when it ends');
  if (!entry.rejectsFile || !fs.existsSync(entry.rejectsFile)) return 'line,reason\n';
  return fs.readFileSync(entry.rejectsFile, 'utf8');
}

/** The rows of a finished import stored with an identity conflict, as the CLI's FILE.conflicts.csv (`line,reason`). */
export function importConflicts(workspaceId: string, id: string): string {
  const entry = entryOf(workspaceId, id);
  if (entry.job.status === 'running') throw new AppError('conflict', 'the import is still running: its conflicts are written when it ends');
  if (!entry.conflictsFile || !fs.existsSync(entry.conflictsFile)) return 'line,reason\n';
  return fs.readFileSync(entry.conflictsFile, 'utf8');
}

/** Waits for an import to end (tests, shutdown). */
export async function importFinished(workspaceId: string, id: string): Promise<ImportJob> {
  const entry = entryOf(workspaceId, id);
  await entry.done;
  return { ...entry.job };
}

function evict(workspaceId: string): void {
  const now = Date.now();
  const finished = [...jobs.values()].filter((e) => e.job.finishedAt !== null);
  const mine = [...jobs.values()].filter((e) => e.workspaceId === workspaceId && e.job.finishedAt !== null);
  const drop = new Set([...finished.filter((e) => now - Date.parse(e.job.finishedAt!) > KEEP_MS), ...mine.slice(0, Math.max(0, mine.length - KEEP_PER_WORKSPACE))]);
  for (const e of drop) {
    jobs.delete(e.job.id);
    fs.rmSync(e.dir, { recursive: true, force: true });
  }
}

async function countLines(file: string): Promise<number> {
  let lines = 0;
  let last = 10;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    if (chunk.length) last = chunk[chunk.length - 1]!;
  }
  return last === 10 ? lines : lines + 1;
}

function readHead(file: string, max: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(max);
    return buffer.subarray(0, fs.readSync(fd, buffer, 0, max, 0));
  } finally {
    fs.closeSync(fd);
  }
}
