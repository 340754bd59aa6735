import { expect, it } from 'vitest';
import { sql } from 'kysely';
import pg from 'pg';
import { describeEachDatabase, TEST_POSTGRES_URL, testDatabaseKinds, testPostgresSchema } from '../support/databases.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';

describeEachDatabase('migrations', (ctx) => {
  it('creates every table and is idempotent', async () => {
    const again = await migrateToLatest(ctx.database.db);
    expect(again).toEqual([]);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM profiles`.execute(ctx.database.db);
    expect(rows[0]?.n).toBeGreaterThanOrEqual(0);
  });
});

// Kysely lists every schema's tables before migrating; another process dropping a schema at that moment made
// `siyu migrate` (and a test run's setup) fail with "schema … does not exist" about a schema that was not ours
// (without the fix this test failed within seconds; the migrator now looks only at its own schema).
it.skipIf(!testDatabaseKinds().includes('postgres'))('migrating a fresh schema succeeds while other schemas are created and dropped', async () => {
  const churn = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await churn.connect();
  const prefix = `siyu_churn_${process.pid}_`;
  let stop = false;
  const churning = (async () => {
    for (let i = 0; !stop; i++) {
      await churn.query(`CREATE SCHEMA ${prefix}${i % 8}; CREATE TABLE ${prefix}${i % 8}.t (a int)`);
      await churn.query(`DROP SCHEMA ${prefix}${i % 8} CASCADE`);
    }
  })();
  const schemas = Array.from({ length: 3 }, (_, i) => `${testPostgresSchema()}_churn_${i}`);
  try {
    for (const schema of schemas) {
      const database = await openDatabase({ url: TEST_POSTGRES_URL, schema, poolSize: 1 });
      try {
        expect((await migrateToLatest(database.db)).length).toBeGreaterThan(10);
      } finally {
        await sql`DROP SCHEMA IF EXISTS ${sql.id(schema)} CASCADE`.execute(database.db);
        await database.close();
      }
    }
  } finally {
    stop = true;
    await churning;
    await churn.end();
  }
}, 120_000);
