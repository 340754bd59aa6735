import path from 'node:path';

/** Where the data lives: a real PostgreSQL (`DATABASE_URL`) or an embedded PGlite data folder. */
export interface DatabaseConfig {
  /** postgres://… — when set, every command runs against this PostgreSQL. */
  url?: string;
  /** PGlite data folder; `memory://` for an in-memory database (tests). */
  dataDir?: string;
  /** PostgreSQL schema to use (tests and benchmarks isolate themselves in their own schema). */
  schema?: string;
  /** Pool size for PostgreSQL. */
  poolSize?: number;
}

export function databaseConfigFromEnv(overrides: Partial<DatabaseConfig> = {}): DatabaseConfig {
  const url = overrides.url ?? process.env.DATABASE_URL ?? undefined;
  const dataDir = overrides.dataDir ?? process.env.SIYU_DATA_DIR ?? path.resolve('.siyu');
  const schema = overrides.schema ?? process.env.SIYU_DB_SCHEMA ?? undefined;
  const poolSize = overrides.poolSize ?? (process.env.SIYU_DB_POOL?.trim() ? envNumber('SIYU_DB_POOL', 0) : undefined);
  return { url: url || undefined, dataDir, schema, poolSize };
}

export function describeDatabase(cfg: DatabaseConfig): string {
  if (cfg.url) return `PostgreSQL ${redactUrl(cfg.url)}${cfg.schema ? ` (schema ${cfg.schema})` : ''}`;
  return `embedded PGlite at ${cfg.dataDir}`;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

/**
 * A numeric setting from the environment. Unset or blank means the default (`Number('')` is 0, which silently turned
 * `SIYU_INGEST_INTAKE_THRESHOLD=` into a threshold of 0); anything else that is not a finite number is refused by
 * name rather than becoming NaN.
 */
export function envNumber(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${raw}"`);
  return n;
}
