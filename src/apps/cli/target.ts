import { databaseConfigFromEnv, describeDatabase, type DatabaseConfig } from '../../platform/config.js';
import { openDatabase, type Database } from '../../platform/db/database.js';
import { isAlive, readOwner } from '../../platform/db/data-dir-lock.js';
import { migrateToLatest } from '../../platform/db/migrate.js';
import { AppError } from '../../platform/errors.js';

/**
 * Where a CLI command does its work: straight on the database, or — when a server already owns the embedded data
 * folder — through that server's control API, so the folder is never opened twice.
 */
export type Target =
  | { kind: 'direct'; database: Database; describe: string; close(): Promise<void> }
  | { kind: 'server'; url: string; controlToken: string; describe: string; close(): Promise<void> };

export interface TargetOptions {
  data?: string;
}

export async function openTarget(opts: TargetOptions = {}): Promise<Target> {
  const cfg: DatabaseConfig = databaseConfigFromEnv({ dataDir: opts.data });
  if (!cfg.url && cfg.dataDir) {
    const owner = readOwner(cfg.dataDir);
    if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
      if (owner.url && owner.controlToken) {
        return { kind: 'server', url: owner.url, controlToken: owner.controlToken, describe: `the running server at ${owner.url}`, close: async () => {} };
      }
      throw new AppError(
        'data_dir_locked',
        `the data folder ${cfg.dataDir} is in use by process ${owner.pid}. Stop it first, or set DATABASE_URL to use PostgreSQL.`,
      );
    }
  }
  const database = await openDatabase(cfg);
  await migrateToLatest(database.db);
  return { kind: 'direct', database, describe: describeDatabase(cfg), close: () => database.close() };
}

/** Calls the owning server's control API (`/internal/v1/...`), authenticated by the token in the lock file. */
export async function callServer<T>(target: Extract<Target, { kind: 'server' }>, path: string, body: unknown): Promise<T> {
  const res = await fetch(new URL(path, target.url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-siyu-control': target.controlToken },
    body: JSON.stringify(body),
  });
  const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!res.ok) throw new AppError((json.error?.code as never) ?? 'internal', json.error?.message ?? `server answered ${res.status}`);
  return json as T;
}
