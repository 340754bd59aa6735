import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { checkPostgresUrl, connectionError } from './connect-errors.js';
import { AppError } from '../errors.js';
import { Kysely, PostgresDialect, sql, type Driver } from 'kysely';
import type { DatabaseConfig } from '../config.js';
import type { DB } from './schema.js';
import { acquireDataDirLock, type DataDirLock } from './data-dir-lock.js';
import { loopTurns } from './loop-turns.js';

// One set of type parsers for both drivers: bigint ids fit in a JS number (< 2^53); numeric amounts as numbers.
pg.types.setTypeParser(20, (v) => Number(v));
pg.types.setTypeParser(1700, (v) => Number(v));

export type Db = Kysely<DB>;

export interface Database {
  db: Db;
  /** 'pglite' (embedded, one connection) or 'postgres' (pooled, multi-process). */
  kind: 'pglite' | 'postgres';
  /** Raw pool, for COPY and other driver-level work. */
  pool: pg.Pool;
  close(): Promise<void>;
  /**
   * Embedded mode only: restarts PGlite on the same folder, between queries. PGlite's WebAssembly heap only grows;
   * after bulk work (the first start's initdb, loading the demo brand) a restart gives back hundreds of MB.
   */
  recycle?(): Promise<void>;
}

/** Opens the configured database. The embedded data folder is locked to this process until close(). */
export async function openDatabase(cfg: DatabaseConfig, opts: { lockDataDir?: boolean } = {}): Promise<Database> {
  if (cfg.url) return openPostgres(cfg);
  return openPglite(cfg, opts.lockDataDir ?? true);
}

async function openPostgres(cfg: DatabaseConfig): Promise<Database> {
  const url = cfg.url!;
  checkPostgresUrl(url);
  const options = cfg.schema ? `-c search_path=${cfg.schema}` : undefined;
  // One connection first, so that an unreachable server, a missing database or a refused login is said plainly.
  const bootstrap = new pg.Client({ connectionString: url });
  try {
    await bootstrap.connect();
  } catch (err) {
    await bootstrap.end().catch(() => undefined);
    throw connectionError(err, url);
  }
  try {
    if (cfg.schema) await bootstrap.query(`CREATE SCHEMA IF NOT EXISTS "${cfg.schema.replace(/"/g, '')}"`);
  } catch (err) {
    // Two processes creating the same schema at once: one wins, the other sees a duplicate.
    if ((err as { code?: string }).code !== '23505') throw err;
  } finally {
    await bootstrap.end();
  }
  const pool = new pg.Pool({ connectionString: cfg.url, max: cfg.poolSize ?? 10, options });
  const db = new Kysely<DB>({ dialect: createPostgresDialect(pool) });
  return {
    db,
    kind: 'postgres',
    pool,
    close: () => db.destroy(),
  };
}

/**
 * The pg client behind a connection of a pool opened with createPostgresDialect, so that a transaction can also
 * speak what Kysely cannot (COPY FROM STDIN). PostgreSQL only: PGlite's node-postgres adapter cannot COPY FROM STDIN
 * (it aborts the WebAssembly instance), so PGlite's connections have none and callers keep their SQL path there.
 */
export interface RawSession {
  readonly client: pg.PoolClient;
  /** Counts the connection's checkouts from the pool: state about "this transaction" compares it. */
  checkout: number;
  /** Session-level objects (temporary tables) known to exist on this connection, created by a committed statement. */
  readonly ready: Set<string>;
  /** Their creation statements, to run outside any transaction the next time the connection is checked out. */
  readonly pending: Map<string, string>;
}

const rawSessions = new WeakMap<object, RawSession>();

/**
 * A Kysely dialect over a pg pool that records, for each Kysely connection, the pool client behind it (see
 * withRawSession). Use it for every Kysely instance over real PostgreSQL; the bench and tests do too.
 */
export function createPostgresDialect(pool: pg.Pool): PostgresDialect {
  // Kysely's driver calls connect() synchronously from acquireConnection(): the acquiring call hands over a slot.
  let slot: ((client: pg.PoolClient) => void) | undefined;
  const recording = {
    connect: () => {
      const record = slot;
      slot = undefined;
      return pool.connect().then((client) => (record?.(client), client));
    },
    end: () => pool.end(),
  };
  class RecordingDialect extends PostgresDialect {
    override createDriver(): Driver {
      const driver = super.createDriver();
      const acquire = driver.acquireConnection.bind(driver);
      driver.acquireConnection = async () => {
        let client: pg.PoolClient | undefined;
        slot = (c) => (client = c);
        const acquiring = acquire();
        slot = undefined;
        const connection = await acquiring;
        if (client) {
          let session = rawSessions.get(connection);
          if (!session || session.client !== client) rawSessions.set(connection, (session = { client, checkout: 0, ready: new Set(), pending: new Map() }));
          session.checkout++;
          if (session.pending.size) await settleSessionSetup(session);
        }
        return connection;
      };
      return driver;
    }
  }
  return new RecordingDialect({ pool: recording as unknown as pg.Pool });
}

/** Between transactions (a checkout): makes session objects created inside an earlier transaction permanent. */
async function settleSessionSetup(session: RawSession): Promise<void> {
  for (const [key, text] of session.pending) {
    session.pending.delete(key);
    try {
      await session.client.query(text);
      session.ready.add(key);
    } catch {
      // Not fatal: the next user creates it again inside its transaction.
    }
  }
}

/**
 * Runs fn with the raw pg client of a transaction opened on a createPostgresDialect pool, holding the transaction's
 * connection meanwhile (Kysely queries on it wait). Returns undefined, without calling fn, outside a transaction or
 * when no raw client is known (PGlite, another dialect): the caller then uses plain SQL.
 */
export async function withRawSession<T>(db: Kysely<DB>, fn: (session: RawSession) => Promise<T>): Promise<{ value: T } | undefined> {
  if (!db.isTransaction) return undefined;
  return db.getExecutor().provideConnection(async (connection) => {
    const session = rawSessions.get(connection);
    return session ? { value: await fn(session) } : undefined;
  });
}

/**
 * Runs a named statement on a createPostgresDialect pool: PostgreSQL parses and plans it once per connection instead
 * of on every call (for the profile view, ~40 µs of backend CPU per lookup, +13% lookups/s at N = 8). Returns
 * undefined on PGlite or another dialect, where the caller runs the same SQL through Kysely. Behind PgBouncer in
 * transaction mode this needs its max_prepared_statements (1.21+).
 */
export async function queryNamed<R>(db: Kysely<DB>, name: string, text: string, values: unknown[]): Promise<R[] | undefined> {
  const run = (k: Kysely<DB>) =>
    k.getExecutor().provideConnection(async (connection) => {
      const session = rawSessions.get(connection);
      if (!session) return undefined;
      return (await session.client.query({ name, text, values })).rows as R[];
    });
  return db.isTransaction ? run(db) : db.connection().execute(run);
}

/**
 * Makes sure a session-level object (e.g. `CREATE TEMP TABLE IF NOT EXISTS …`) exists on this connection, once per
 * connection: no catalog churn per transaction. Created inside the caller's transaction (so usable at once, and gone
 * if that transaction rolls back), then made permanent outside any transaction at the connection's next checkout.
 */
export async function ensureSessionObject(session: RawSession, key: string, createIfNotExists: string): Promise<void> {
  if (session.ready.has(key)) return;
  await session.client.query(createIfNotExists);
  session.pending.set(key, createIfNotExists);
}

async function openPglite(cfg: DatabaseConfig, lock: boolean): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  const { createPgConfig } = await import('@electric-sql/pglite/node-postgres');
  const dataDir = cfg.dataDir ?? 'memory://';
  const inMemory = dataDir.startsWith('memory://');
  let dirLock: DataDirLock | undefined;
  if (!inMemory) {
    try {
      fs.mkdirSync(dataDir, { recursive: true });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'EEXIST' || code === 'ENOTDIR') throw new AppError('invalid_request', `the data folder ${dataDir} is a file, not a folder: choose another with --data or SIYU_DATA_DIR`);
      if (code === 'EACCES' || code === 'EROFS') throw new AppError('forbidden', `cannot create the data folder ${dataDir} (${code === 'EROFS' ? 'read-only file system' : 'permission denied'}): choose another with --data or SIYU_DATA_DIR`);
      throw err;
    }
    if (lock) dirLock = acquireDataDirLock(dataDir);
  }
  // Embedded mode keeps the server small: PostgreSQL's buffers live inside this process's memory.
  const startParams = [...PGlite.defaultStartParams, '-c', 'shared_buffers=16MB', '-c', 'work_mem=2MB', '-c', 'maintenance_work_mem=16MB'];
  const start = async () => {
    const instance = inMemory ? new PGlite({ startParams }) : new PGlite(path.join(dataDir, 'pgdata'), { startParams });
    await instance.waitReady;
    return instance;
  };
  let pglite: Awaited<ReturnType<typeof start>>;
  try {
    const fresh = !inMemory && !fs.existsSync(path.join(dataDir, 'pgdata', 'PG_VERSION'));
    // initdb leaves the WebAssembly heap at ~700 MB, which the process keeps; so a new folder is created by a child
    // process, and this one opens it as it would on any later start (about half the memory).
    if (fresh) await initdbInChildProcess(path.join(dataDir, 'pgdata'), startParams);
    pglite = await start();
  } catch (err) {
    dirLock?.release();
    throw err;
  }
  let pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
  let recycling: Promise<void> | undefined;
  const giveLoopATurn = loopTurns();
  // Kysely sees one pool for the life of the process; behind it, recycle() can swap PGlite between queries.
  const swappable = {
    async connect() {
      await giveLoopATurn();
      while (recycling) await recycling;
      return pool.connect();
    },
    end: async () => pool.end(),
  };
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: swappable as unknown as pg.Pool }) });
  const setSchema = async () => {
    if (!cfg.schema) return;
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(cfg.schema)}`.execute(db);
    await sql`SET search_path TO ${sql.id(cfg.schema)}`.execute(db);
  };
  await setSchema();
  return {
    db,
    kind: 'pglite',
    get pool() {
      return pool;
    },
    async close() {
      while (recycling) await recycling;
      await db.destroy();
      await pglite.close();
      dirLock?.release();
    },
    async recycle() {
      if (inMemory || recycling) return;
      let done!: () => void;
      recycling = new Promise<void>((resolve) => (done = resolve));
      try {
        // The pool has one connection: holding it means every query and transaction already started has finished.
        const client = await pool.connect();
        client.release();
        await pool.end();
        await pglite.close();
        pglite = await start();
        pool = new pg.Pool(createPgConfig(pglite) as unknown as pg.PoolConfig);
        if (cfg.schema) await pool.query(`SET search_path TO "${cfg.schema.replace(/"/g, '""')}"`);
      } finally {
        recycling = undefined;
        done();
      }
    },
  };
}

function initdbInChildProcess(pgdata: string, startParams: string[]): Promise<void> {
  const script = fileURLToPath(new URL('./pglite-initdb.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, pgdata, ...startParams], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0 && fs.existsSync(path.join(pgdata, 'PG_VERSION'))) resolve();
      else reject(new Error(`creating the embedded database in ${pgdata} failed (exit ${code}): ${stderr.slice(-2000)}`));
    });
  });
}
