import pg from 'pg';
import { openDatabase } from '../../src/platform/db/database.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';
import { ensureConsoleBuilt } from '../../console/ensure-built.mjs';
import { TEST_POSTGRES_URL, testDatabaseKinds } from './databases.js';

/**
 * Gives this run's PostgreSQL tests a freshly migrated schema of their own (`siyu_test_<pid>_<start time>`), and
 * drops schemas that earlier runs left behind (older than three hours: no run lasts that long, so a run in
 * progress is never disturbed). Test workers inherit SIYU_TEST_SCHEMA.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // Built once, before the workers start: browser test files in parallel workers each building into console/dist
  // at once deleted each other's assets (a fresh clone has no build), and every page then failed to load.
  ensureConsoleBuilt({ quiet: true });
  if (!testDatabaseKinds().includes('postgres')) return async () => {};
  const started = Math.floor(Date.now() / 1000);
  const schema = `siyu_test_${process.pid}_${started}`;
  process.env.SIYU_TEST_SCHEMA = schema;
  const client = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `the storage tests need PostgreSQL at ${TEST_POSTGRES_URL} (${(err as Error).message}); ` +
        `start it, or set SIYU_TEST_DATABASES=pglite to run on PGlite only`,
    );
  }
  const { rows } = await client.query<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname LIKE 'siyu\\_test\\_%'`);
  for (const { nspname } of rows) {
    const createdAt = Number(nspname.split('_')[3] ?? 0);
    if (started - createdAt > 3 * 3600) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  }
  await client.query(`DROP SCHEMA IF EXISTS siyu_test CASCADE`);
  const database = await openDatabase({ url: TEST_POSTGRES_URL, schema });
  await migrateToLatest(database.db);
  await database.close();
  return async () => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await client.end();
  };
}
