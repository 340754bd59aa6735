import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { Database } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';

/**
 * Runs `fn` against a stand-in for `database` whose every write is undone: one connection, one outer transaction
 * that is always rolled back, and every transaction the code inside opens (Kysely's BEGIN / COMMIT / ROLLBACK,
 * however deep) turned into a savepoint of it. A dry run of an import applies each chunk exactly as the import would
 * (OneID's conflicts and merges, orders found unchanged, refunds of unknown orders or more than was paid, all read
 * from the stored data) and then throws it away, so its summary and rejects are the real run's by construction.
 *
 * Why not a read-only check: the outcomes it would have to predict (identity resolution, order versions, refund
 * limits) are most of the write path; a second copy of them would drift. The cost is the real chunk's work plus a
 * rollback, and sequence values drawn meanwhile (profile, identifier ids) are not given back: ids keep gaps, as after
 * any failed transaction. Locks taken inside are held until the chunk's rollback, so run one chunk at a time; a chunk
 * that settles merges takes OneID's exclusive lock of the workspace, and its ingest waits until that chunk is rolled
 * back (a real chunk holds it only while settling): a check of a large file against a busy workspace slows its intake.
 *
 * Connections are handed out one at a time, as PGlite's pool does, so two transactions of the code inside never
 * interleave on the one connection.
 */
export async function rolledBack<T>(database: Database, fn: (rehearsal: Database) => Promise<T>): Promise<T> {
  const client = await database.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const savepoints: string[] = [];
    let named = 0;
    const end = async (command: string) => {
      const name = savepoints.pop();
      if (!name) throw new Error(`${command} without a transaction in a rehearsal`);
      if (command === 'rollback') await client.query(`ROLLBACK TO SAVEPOINT ${name}`);
      return client.query(`RELEASE SAVEPOINT ${name}`);
    };
    // Not async: anything else goes to the client as it is, and a submittable (COPY's stream, a cursor) comes back itself.
    const query = (text: unknown, ...rest: unknown[]): unknown => {
      const command = typeof text === 'string' ? text.trim().toLowerCase() : '';
      if (command === 'begin' || command.startsWith('start transaction')) {
        const name = `siyu_rehearsal_${++named}`;
        savepoints.push(name);
        return client.query(`SAVEPOINT ${name}`);
      }
      if (command === 'commit' || command === 'rollback') return end(command);
      return (client.query as (...args: unknown[]) => unknown)(text, ...rest);
    };
    let holder: Promise<void> = Promise.resolve();
    const pool = {
      connect: async () => {
        const previous = holder;
        let release!: () => void;
        holder = new Promise<void>((resolve) => (release = resolve));
        await previous;
        return { query, release: () => release() };
      },
      end: async () => {},
    };
    const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }) });
    return await fn({ db, kind: database.kind, pool: pool as unknown as pg.Pool, close: async () => {} });
  } finally {
    try {
      await client.query('ROLLBACK');
    } catch (err) {
      broken = err as Error;
    }
    client.release(broken);
  }
}
