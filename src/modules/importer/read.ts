import fs from 'node:fs';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import { AppError } from '../../platform/errors.js';
import { CsvSplitter, type CsvRecord } from './csv.js';
import { utf8Chunks, type ImportEncoding } from './decode.js';
import type { Reject, SourceRecord } from './records.js';

export type ImportFormat = 'csv' | 'jsonl';

export function detectFormat(file: string, given?: string): ImportFormat {
  if (given === 'csv' || given === 'jsonl') return given;
  return /\.(jsonl|ndjson|json)$/i.test(file) ? 'jsonl' : 'csv';
}

export interface ReadOptions {
  /** The file's text encoding, or `auto` (the default): see decode.ts. */
  encoding?: ImportEncoding | 'auto';
  onEncoding?: (encoding: ImportEncoding) => void;
  /** A CSV's header (trimmed) before any row: throw to refuse the file (see header.ts). */
  checkHeader?: (columns: string[]) => void;
}

/**
 * Streams a file's records with their line numbers; unreadable lines become rejects instead of stopping the run.
 * `onBytes` reports progress through the file.
 */
export async function* readRecords(
  file: string,
  format: ImportFormat,
  onReject: (r: Reject) => void,
  onBytes: (bytesRead: number) => void,
  options: ReadOptions = {},
): AsyncGenerator<SourceRecord> {
  const raw = fs.createReadStream(file);
  let bytes = 0;
  raw.on('data', (chunk) => {
    bytes += chunk.length;
    onBytes(bytes);
  });
  const chunks = utf8Chunks(raw as AsyncIterable<Buffer>, options.encoding ?? 'auto', options.onEncoding ?? (() => {}));
  // The first chunk tells the CSV delimiter (Excel's "Unicode text" is tab-separated); a decoding error stops here.
  const first = await chunks.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  const stream = Readable.from((async function* () {
    if (head.length) yield head;
    yield* chunks;
  })(), { objectMode: false });
  if (format === 'jsonl') {
    const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (!text.trim()) continue;
      try {
        const record = JSON.parse(text) as unknown;
        if (typeof record !== 'object' || record === null || Array.isArray(record)) onReject({ line, reason: 'a line must hold one JSON object' });
        else yield { line, record: record as Record<string, unknown> };
      } catch (err) {
        onReject({ line, reason: `malformed JSON: ${(err as Error).message}` });
      }
    }
    return;
  }
  yield* csvRecords(stream, delimiterOf(head), onReject, options.checkHeader);
}

/** A CSV's records keyed by its header's (trimmed) column names; a row with a field too many or too few is a reject. */
async function* csvRecords(
  stream: AsyncIterable<Buffer>,
  delimiter: string,
  onReject: (r: Reject) => void,
  checkHeader: ((columns: string[]) => void) | undefined,
): AsyncGenerator<SourceRecord> {
  const splitter = new CsvSplitter(delimiter);
  const decoder = new TextDecoder('utf-8');
  let columns: string[] | undefined;
  function* records(batch: CsvRecord[]): Generator<SourceRecord> {
    for (const r of batch) {
      if ('error' in r) {
        if (!columns) throw new AppError('invalid_request', `the header (line ${r.line}) cannot be read: ${r.error}`);
        onReject({ line: r.line, reason: `unreadable CSV row: ${r.error}` });
        continue;
      }
      if (!columns) {
        columns = r.fields;
        checkHeader?.(columns);
        continue;
      }
      if (r.fields.length !== columns.length) {
        onReject({ line: r.line, reason: `unreadable CSV row: ${r.fields.length} fields where the header has ${columns.length}` });
        continue;
      }
      const record: Record<string, string> = {};
      for (let i = 0; i < columns.length; i++) record[columns[i]!] = r.fields[i]!;
      yield { line: r.line, record };
    }
  }
  for await (const chunk of stream) yield* records(splitter.push(decoder.decode(chunk, { stream: true })));
  yield* records(splitter.push(decoder.decode()));
  yield* records(splitter.end());
}

/** The header line's delimiter: a comma, unless the line has none and has tabs (or else semicolons). */
export function delimiterOf(head: Buffer): string {
  const end = head.indexOf(0x0a);
  const line = head.subarray(0, end < 0 ? head.length : end).toString('utf8');
  if (line.includes(',')) return ',';
  if (line.includes('\t')) return '\t';
  return line.includes(';') ? ';' : ',';
}
