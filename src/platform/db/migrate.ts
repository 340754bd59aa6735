import { Migrator, sql, type MigrationResult } from 'kysely';
import type { Db } from './database.js';
import { migrations } from './migrations/index.js';

/**
 * Brings the schema up to date. Safe to call from several processes at once: an advisory lock serialises them.
 * The same migrations run on PGlite and PostgreSQL.
 */
export async function migrateToLatest(db: Db): Promise<MigrationResult[]> {
  // Kysely looks for its bookkeeping tables in any schema unless told which: name ours, so runs in
  // other schemas (tests, benchmarks) never confuse it.
  const { rows } = await sql<{ schema: string }>`SELECT current_schema() AS schema`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
    migrationTableSchema: rows[0]?.schema ?? 'public',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? String(error)}`);
  }
  return results ?? [];
}

export async function databaseReachable(db: Db): Promise<boolean> {
  try {
    await sql`SELECT 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
