import fs from 'node:fs';
import readline from 'node:readline';
import { parse } from 'csv-parse';
import type { Reject, SourceRecord } from './records.js';

export type ImportFormat = 'csv' | 'jsonl';

export function detectFormat(file: string, given?: string): ImportFormat {
  if (given === 'csv' || given === 'jsonl') return given;
  return /\.(jsonl|ndjson|json)$/i.test(file) ? 'jsonl' : 'csv';
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
): AsyncGenerator<SourceRecord> {
  const stream = fs.createReadStream(file);
  let bytes = 0;
  stream.on('data', (chunk) => {
    bytes += chunk.length;
    onBytes(bytes);
  });
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
  const parser = stream.pipe(
    parse({ columns: (header: string[]) => header.map((h) => h.trim()), bom: true, skip_empty_lines: true, trim: true, info: true, skip_records_with_error: true }),
  );
  parser.on('skip', (err: Error & { lines?: number }) => onReject({ line: err.lines ?? 0, reason: `unreadable CSV row: ${err.message}` }));
  for await (const row of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    yield { line: row.info.lines, record: row.record };
  }
}
