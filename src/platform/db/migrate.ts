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
  const schema = rows[0]?.schema ?? 'public';
  const migrator = new Migrator({
    db: withIntrospectionOf(db, schema),
    provider: { getMigrations: async () => migrations },
    allowUnorderedMigrations: true,
    migrationTableSchema: schema,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? String(error)}`);
  }
  return results ?? [];
}

/**
 * The database as the migrator sees it: its introspection (whether its bookkeeping schema and tables exist) reads
 * only our schema. Kysely's own lists the tables of every schema with has_schema_privilege per schema, which fails
 * with "schema … does not exist" when another process drops a schema meanwhile, though it is not ours (a test run
 * beside another, or any application sharing the server).
 */
function withIntrospectionOf(db: Db, schema: string): Db {
  const introspection = {
    getSchemas: async () => (await sql<{ name: string }>`SELECT nspname AS name FROM pg_catalog.pg_namespace WHERE nspname = ${schema}`.execute(db)).rows,
    getTables: async () =>
      (await sql<{ name: string; schema: string }>`SELECT tablename AS name, schemaname AS schema FROM pg_catalog.pg_tables WHERE schemaname = ${schema}`.execute(db)).rows.map(
        (t) => ({ ...t, isView: false, columns: [] }),
      ),
    getMetadata: async () => ({ tables: await introspection.getTables() }),
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection;
      // Kysely keeps its state in private fields: its methods must run on the instance itself, not on the proxy.
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export async function databaseReachable(db: Db): Promise<boolean> {
  try {
    await sql`SELECT 1`.execute(db);
    return true;
  } catch {
    return false;
  }
}
