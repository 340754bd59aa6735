import { afterAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { TEST_POSTGRES_URL, testDatabaseKinds, testPostgresSchema } from '../support/databases.js';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { lockIdentityExclusive, lockIdentityShared } from '../../src/modules/identity/index.js';
import { withRulesLockExclusive as exclusiveStep, lockRulesShared } from '../../src/modules/segments/index.js';

/**
 * Advisory locks are database-wide. Two installations in one PostgreSQL database (two schemas) with the same
 * workspace id, as every installation's demo brand has, must not wait on each other's locks; one installation's
 * connections still must.
 */
const opened: Database[] = [];
afterAll(async () => {
  for (const d of opened) await d.close();
});

const open = async (schema: string) => {
  const database = await openDatabase({ url: TEST_POSTGRES_URL, schema, poolSize: 2 });
  opened.push(database);
  return database;
};

/** Whether `take` gets its lock within 1.5 s while `hold` holds its own in another transaction. */
async function getsLockBeside(holder: Database, other: Database, hold: (trx: never) => Promise<unknown>, take: (trx: never) => Promise<unknown>): Promise<boolean> {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let holding!: () => void;
  const isHeld = new Promise<void>((r) => (holding = r));
  const holderDone = holder.db.transaction().execute(async (trx) => {
    await hold(trx as never);
    holding();
    await held;
  });
  await isHeld;
  try {
    await other.db.transaction().execute(async (trx) => {
      await sql`SET LOCAL lock_timeout = '1500ms'`.execute(trx);
      await take(trx as never);
    });
    return true;
  } catch (error) {
    expect(String(error)).toMatch(/lock timeout/);
    return false;
  } finally {
    release();
    await holderDone;
  }
}

it.skipIf(!testDatabaseKinds().includes('postgres'))('one schema\'s identity and rules locks do not hold up another schema with the same workspace id', async () => {
  const ws = `ws_lock_${Date.now()}`;
  const mine = await open(testPostgresSchema());
  const again = await open(testPostgresSchema());
  const neighbour = await open(`${testPostgresSchema()}_neighbour`);
  const exclusive = (trx: never) => lockIdentityExclusive(trx, ws);
  const shared = (trx: never) => lockIdentityShared(trx, ws);
  // The same installation: an ingest waits for a merge (the lock still works).
  expect(await getsLockBeside(mine, again, exclusive, shared)).toBe(false);
  // Another installation in the same database: it does not.
  expect(await getsLockBeside(mine, neighbour, exclusive, shared)).toBe(true);
  expect(await getsLockBeside(neighbour, mine, exclusive, exclusive)).toBe(true);
  // The rules lock: a daily-pass step in one schema, a real-time pass in the other.
  const step = (trx: never) => exclusiveStep(trx, ws, async () => {});
  const realtime = (trx: never) => lockRulesShared(trx, ws);
  expect(await getsLockBeside(mine, again, step, realtime)).toBe(false);
  expect(await getsLockBeside(mine, neighbour, step, realtime)).toBe(true);
  await sql`DROP SCHEMA IF EXISTS ${sql.id(`${testPostgresSchema()}_neighbour`)} CASCADE`.execute(mine.db);
});
