import { afterAll, beforeAll, describe } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { wireModules } from '../../src/modules/wiring.js';

/** The PostgreSQL every storage test also runs on (CI and this machine: trust auth on 127.0.0.1). */
export const TEST_POSTGRES_URL = process.env.SIYU_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
/** Each test run gets its own schema (set by the global setup), so concurrent runs never disturb each other. */
export const testPostgresSchema = () => process.env.SIYU_TEST_SCHEMA ?? 'siyu_test';

export type DatabaseKind = 'pglite' | 'postgres';

export function testDatabaseKinds(): DatabaseKind[] {
  const wanted = (process.env.SIYU_TEST_DATABASES ?? 'pglite,postgres').split(',').map((s) => s.trim());
  return (['pglite', 'postgres'] as const).filter((k) => wanted.includes(k));
}

/** Opens a migrated database of the given kind: a fresh in-memory PGlite, or the shared test schema. */
export async function openTestDatabase(kind: DatabaseKind): Promise<Database> {
  wireModules();
  if (kind === 'postgres') {
    // Migrated once by the global setup; each test isolates itself by its own workspace.
    return openDatabase({ url: TEST_POSTGRES_URL, schema: testPostgresSchema(), poolSize: 8 });
  }
  // One migrated in-memory PGlite per test worker, shared by the files that worker runs (vitest runs them with
  // isolate: false): starting PGlite and migrating costs seconds of CPU, and tests isolate by workspace anyway.
  sharedPglite ??= openDatabase({ dataDir: 'memory://' }).then(async (database) => {
    await migrateToLatest(database.db);
    return database;
  });
  const database = await sharedPglite;
  return { ...database, close: async () => {} };
}

let sharedPglite: Promise<Database> | undefined;

/**
 * Runs a block of storage tests once per database kind. `ctx.database` is ready inside tests.
 * Usage: `describeEachDatabase('orders', (ctx) => { it('…', async () => { ctx.database.db … }) })`.
 */
export function describeEachDatabase(name: string, body: (ctx: { database: Database; kind: DatabaseKind }) => void): void {
  for (const kind of testDatabaseKinds()) {
    describe(`${name} [${kind}]`, () => {
      const ctx = { kind } as { database: Database; kind: DatabaseKind };
      beforeAll(async () => {
        ctx.database = await openTestDatabase(kind);
      });
      afterAll(async () => {
        await ctx.database?.close();
      });
      body(ctx);
    });
  }
}
