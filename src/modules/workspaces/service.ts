import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError, notFound, unauthorized } from '../../platform/errors.js';
import { newId, newSecret } from '../../platform/ids.js';
import { hashSecret, secretHint } from './keys.js';

export type KeyKind = 'write' | 'admin';

export interface Workspace {
  id: string;
  name: string;
  timezone: string;
  createdAt: Date;
}

export interface ApiKeyInfo {
  id: string;
  kind: KeyKind;
  name: string;
  hint: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

export interface CreatedWorkspace extends Workspace {
  writeKey: string;
  adminToken: string;
}

export async function createWorkspace(
  db: Db,
  input: { name: string; timezone?: string; id?: string },
): Promise<CreatedWorkspace> {
  const name = input.name.trim();
  if (!name) throw new AppError('invalid_request', 'workspace name must not be empty');
  const id = input.id ?? newId('ws');
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('workspaces')
      .values({ id, name, timezone: input.timezone ?? 'Asia/Shanghai' })
      .returningAll()
      .executeTakeFirstOrThrow();
    const write = await insertKey(trx, id, 'write', 'default write key');
    const admin = await insertKey(trx, id, 'admin', 'default admin token');
    return { id: row.id, name: row.name, timezone: row.timezone, createdAt: row.created_at, writeKey: write.secret, adminToken: admin.secret };
  });
}

export async function getWorkspace(db: Db, id: string): Promise<Workspace> {
  const row = await db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`workspace ${id}`);
  return { id: row.id, name: row.name, timezone: row.timezone, createdAt: row.created_at };
}

export async function listWorkspaces(db: Db): Promise<Workspace[]> {
  const rows = await db.selectFrom('workspaces').selectAll().orderBy('created_at').execute();
  return rows.map((row) => ({ id: row.id, name: row.name, timezone: row.timezone, createdAt: row.created_at }));
}

/** Creates a key with a fresh random secret, or — for imports and the demo brand — with a given one. */
export async function createKey(db: Db, workspaceId: string, kind: KeyKind, name: string, givenSecret?: string): Promise<ApiKeyInfo & { secret: string }> {
  return insertKey(db, workspaceId, kind, name, givenSecret);
}

async function insertKey(db: Db, workspaceId: string, kind: KeyKind, name: string, givenSecret?: string) {
  const secret = givenSecret ?? newSecret(kind === 'write' ? 'wk' : 'at');
  const row = await db
    .insertInto('api_keys')
    .values({ id: newId('key', 12), workspace_id: workspaceId, kind, name, secret_hash: hashSecret(secret), hint: secretHint(secret) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { ...toKeyInfo(row), secret };
}

export async function listKeys(db: Db, workspaceId: string, kind?: KeyKind): Promise<ApiKeyInfo[]> {
  let q = db.selectFrom('api_keys').selectAll().where('workspace_id', '=', workspaceId);
  if (kind) q = q.where('kind', '=', kind);
  const rows = await q.orderBy('created_at').execute();
  return rows.map(toKeyInfo);
}

export async function revokeKey(db: Db, workspaceId: string, keyId: string): Promise<ApiKeyInfo> {
  const row = await db
    .updateTable('api_keys')
    .set({ revoked_at: sql`coalesce(revoked_at, now())` as never })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', keyId)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound(`key ${keyId}`);
  forgetCachedKeys();
  return toKeyInfo(row);
}

/** Returns the workspace a live secret of the given kind belongs to, or throws 401. Results are cached briefly. */
export async function authenticate(db: Db, kind: KeyKind, secret: string | undefined): Promise<string> {
  if (!secret) throw unauthorized(kind === 'write' ? 'missing write key' : 'missing admin token');
  const hash = hashSecret(secret);
  const cached = cache.get(hash);
  if (cached && cached.expires > Date.now()) {
    if (cached.kind !== kind || !cached.workspaceId) throw unauthorized(`invalid ${kind === 'write' ? 'write key' : 'admin token'}`);
    return cached.workspaceId;
  }
  const row = await db
    .selectFrom('api_keys')
    .select(['workspace_id', 'kind', 'revoked_at'])
    .where('secret_hash', '=', hash)
    .executeTakeFirst();
  const workspaceId = row && !row.revoked_at ? row.workspace_id : null;
  cache.set(hash, { workspaceId, kind: row?.kind ?? kind, expires: Date.now() + CACHE_MS });
  if (cache.size > 10_000) cache.clear();
  if (!workspaceId || row?.kind !== kind) throw unauthorized(`invalid ${kind === 'write' ? 'write key' : 'admin token'}`);
  return workspaceId;
}

/** Revocation must bite at once in this process; other processes see it within CACHE_MS. */
const CACHE_MS = 5_000;
const cache = new Map<string, { workspaceId: string | null; kind: KeyKind; expires: number }>();
export function forgetCachedKeys(): void {
  cache.clear();
}

function toKeyInfo(row: {
  id: string;
  kind: KeyKind;
  name: string;
  hint: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}): ApiKeyInfo {
  return { id: row.id, kind: row.kind, name: row.name, hint: row.hint, createdAt: row.created_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at };
}
