/** PostgreSQL helpers for the benchmarks: schema reset and the raw-COPY baselines. */
import fs from 'node:fs';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { PG_URL } from './server.js';

export async function withClient<T>(schema: string | null, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: PG_URL, options: schema ? `-c search_path=${schema}` : undefined });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const resetSchema = (schema: string) =>
  withClient(null, async (c) => {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.query(`CREATE SCHEMA "${schema}"`);
  });

/** Streams CSV text (lines) into `table (columns)` with one COPY; returns the elapsed ms. */
export async function copyCsv(schema: string, table: string, columns: string[], source: Readable | Iterable<string>, header = false): Promise<number> {
  return withClient(schema, async (c) => {
    const started = performance.now();
    const stream = c.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN (FORMAT csv${header ? ', HEADER true' : ''})`));
    await pipeline(source instanceof Readable ? source : Readable.from(source), stream);
    return performance.now() - started;
  });
}

export const csvField = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\n\r]/.test(s) || s === '' ? `"${s.replace(/"/g, '""')}"` : s;
};

export const fileStream = (file: string) => fs.createReadStream(file, { highWaterMark: 1 << 20 });
