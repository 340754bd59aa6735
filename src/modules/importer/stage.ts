import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Database, Db } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';

export type Columns = ReadonlyArray<readonly [string, string]>;

/** Fills a temporary table of the current transaction: `COPY … FROM STDIN` where the driver allows it. */
export type Stager = (table: string, columns: Columns, rows: unknown[][]) => Promise<void>;

/** A database handle as callers hold it: the full Database (PostgreSQL pool → COPY), or just the Kysely instance. */
export type ImportTarget = Db | Database;

export const isDatabase = (t: ImportTarget): t is Database => typeof (t as Database).kind === 'string' && 'pool' in t;
export const kyselyOf = (t: ImportTarget): Db => (isDatabase(t) ? t.db : t);
export const databaseKind = (t: ImportTarget): Database['kind'] | 'unknown' => (isDatabase(t) ? t.kind : 'unknown');

/**
 * Runs `fn` in one transaction with a stager. On PostgreSQL (given the pool) the transaction runs on a client taken
 * from the pool, so rows are streamed with COPY on that same connection. PGlite's node-postgres adapter cannot
 * COPY FROM STDIN (it aborts the WebAssembly instance), so there — and when only a Kysely handle was given — rows
 * are staged with one `INSERT … SELECT FROM jsonb_to_recordset($1)`.
 */
export async function inStagingTransaction<T>(target: ImportTarget, fn: (trx: Transaction<DB>, stage: Stager) => Promise<T>): Promise<T> {
  if (!isDatabase(target) || target.kind !== 'postgres') return kyselyOf(target).transaction().execute((trx) => fn(trx, (t, c, r) => stageByJson(trx, t, c, r)));
  const client = await target.pool.connect();
  let broken: unknown;
  try {
    // A Kysely instance over just this connection: kysely's BEGIN/COMMIT and our COPY share one session.
    const single = { connect: async () => ({ query: client.query.bind(client), release: () => {} }), end: async () => {} };
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: single as never }) });
    return await db.transaction().execute((trx) => fn(trx, (t, c, r) => stageByCopy(client, t, c, r)));
  } catch (err) {
    broken = (err as { code?: string }).code ? undefined : err; // a driver-level failure: do not reuse the client
    throw err;
  } finally {
    client.release(broken instanceof Error ? broken : undefined);
  }
}

async function stageByJson(trx: Transaction<DB>, table: string, columns: Columns, rows: unknown[][]): Promise<void> {
  if (!rows.length) return;
  const doc = JSON.stringify(rows.map((row) => Object.fromEntries(columns.map(([name], i) => [name, row[i] ?? null]))));
  const names = columns.map(([n]) => n).join(', ');
  await sql`INSERT INTO ${sql.table(table)} (${sql.raw(names)})
    SELECT ${sql.raw(names)} FROM jsonb_to_recordset(${doc}::jsonb) AS x(${sql.raw(columns.map(([n, t]) => `${n} ${t}`).join(', '))})`.execute(trx);
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
const SPECIAL = /[\\\t\n\r]/;
/** A value in COPY's text format. JSON text holds no raw tab or line break (JSON escapes them), only backslashes. */
function copyField(value: unknown, type: string): string {
  if (value === null || value === undefined) return '\\N';
  if (type === 'jsonb') {
    const json = JSON.stringify(value);
    return json.includes('\\') ? json.replace(/\\/g, '\\\\') : json;
  }
  const s = typeof value === 'string' ? value : typeof value === 'boolean' ? (value ? 't' : 'f') : value instanceof Date ? value.toISOString() : String(value);
  return SPECIAL.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : s;
}

/**
 * Rows in COPY's text format, one line each, encoded straight into a buffer: building one string of a chunk's
 * lines and encoding it afterwards cost the import a third of its own CPU (bench/import-cpu.ts).
 */
export function copyText(columns: Columns, rows: unknown[][]): Buffer {
  const types = columns.map(([, t]) => t);
  const last = types.length - 1;
  let buf = Buffer.allocUnsafe(Math.max(1 << 16, rows.length * 128));
  let pos = 0;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    for (let i = 0; i <= last; i++) {
      const field = copyField(row[i], types[i]!);
      // UTF-8 takes at most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
      if (pos + field.length * 3 + 1 > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(buf.length * 2, pos + field.length * 3 + 1));
        buf.copy(bigger, 0, 0, pos);
        buf = bigger;
      }
      pos += buf.write(field, pos);
      buf[pos++] = i === last ? 10 : 9; // line feed : tab
    }
  }
  return buf.subarray(0, pos);
}

async function stageByCopy(client: pg.PoolClient, table: string, columns: Columns, rows: unknown[][]): Promise<void> {
  if (!rows.length) return;
  const stream = client.query(copyFrom(`COPY ${table} (${columns.map(([n]) => n).join(', ')}) FROM STDIN`));
  await pipeline(Readable.from([copyText(columns, rows)]), stream);
}
