import pg from 'pg';
import { openDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { TEST_POSTGRES_SCHEMA, TEST_POSTGRES_URL, testDatabaseKinds } from './databases.js';

/** Gives the PostgreSQL tests a freshly migrated schema of their own, once per run. */
export default async function setup(): Promise<void> {
  if (!testDatabaseKinds().includes('postgres')) return;
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `the storage tests need PostgreSQL at ${TEST_POSTGRES_URL} (${(err as Error).message}); ` +
        `start it, or set SIYU_TEST_DATABASES=pglite to run on PGlite only`,
    );
  }
  await client.query(`DROP SCHEMA IF EXISTS ${TEST_POSTGRES_SCHEMA} CASCADE`);
  await client.end();
  const database = await openDatabase({ url: TEST_POSTGRES_URL, schema: TEST_POSTGRES_SCHEMA });
  await migrateToLatest(database.db);
  await database.close();
}
