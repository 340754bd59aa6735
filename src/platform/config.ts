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

export function redactUrl(url: string): string {
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

export type TrustProxy = boolean | string[] | ((address: string, hop: number) => boolean);

/**
 * Which proxies' `X-Forwarded-For` to believe for the sender's address (ingest's `context.ip`, logs), from
 * SIYU_TRUST_PROXY: unset or `false` trusts none (the socket's address is the sender's); `true` trusts every hop;
 * a number trusts that many hops; otherwise a comma-separated list of addresses or CIDR ranges (e.g. `127.0.0.1,
 * 10.0.0.0/8`). Behind nginx or a cloud load balancer, set it, or every event carries the proxy's address.
 */
export function trustProxyFromEnv(env: NodeJS.ProcessEnv = process.env): TrustProxy {
  const raw = env.SIYU_TRUST_PROXY?.trim() ?? '';
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw);
    return (_address, hop) => hop < hops;
  }
  const list = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = list.find((s) => !/^[0-9A-Fa-f:.]+(\/\d{1,3})?$/.test(s) && !['loopback', 'linklocal', 'uniquelocal'].includes(s));
  if (bad !== undefined) throw new Error(`SIYU_TRUST_PROXY: "${bad}" is not an address, a CIDR range, true, false or a number of hops`);
  return list;
}
