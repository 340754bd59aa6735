import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { newId, newSecret } from '../../platform/ids.js';
import type { UserRole } from './schema.js';

/** The console's session cookie: HttpOnly (no script reads it), SameSite=Lax (no cross-site writes). */
export const SESSION_COOKIE = 'siyu_session';
const SESSION_DAYS = 14;
const DAY_MS = 86_400_000;

/** Session tokens are 192-bit random secrets: a fast hash is the right store (nothing to brute-force). */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export interface SessionUser {
  sessionId: string;
  workspaceId: string;
  userId: string;
  role: UserRole;
  guideId: string | null;
}

export async function createSession(db: Db, workspaceId: string, userId: string, userAgent?: string): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecret('ss');
  const expiresAt = new Date(Date.now() + SESSION_DAYS * DAY_MS);
  await db
    .insertInto('sessions')
    .values({ workspace_id: workspaceId, id: newId('ses', 12), user_id: userId, token_hash: hashToken(token), user_agent: userAgent?.slice(0, 300) ?? null, expires_at: expiresAt })
    .execute();
  return { token, expiresAt };
}

/** The live session a token belongs to (its user active), or null. Sliding: a session in use is renewed daily. */
export async function findSession(db: Db, token: string): Promise<SessionUser | null> {
  const row = await db
    .selectFrom('sessions as s')
    .innerJoin('users as u', (join) => join.onRef('u.workspace_id', '=', 's.workspace_id').onRef('u.id', '=', 's.user_id'))
    .select(['s.id as sessionId', 's.workspace_id as workspaceId', 's.user_id as userId', 's.expires_at as expiresAt', 'u.role', 'u.guide_id as guideId', 'u.disabled_at as disabledAt'])
    .where('s.token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.disabledAt || row.expiresAt.getTime() <= Date.now()) return null;
  if (row.expiresAt.getTime() - Date.now() < (SESSION_DAYS - 1) * DAY_MS) {
    await db
      .updateTable('sessions')
      .set({ expires_at: new Date(Date.now() + SESSION_DAYS * DAY_MS) })
      .where('workspace_id', '=', row.workspaceId)
      .where('id', '=', row.sessionId)
      .execute();
  }
  return { sessionId: row.sessionId, workspaceId: row.workspaceId, userId: row.userId, role: row.role, guideId: row.guideId };
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', hashToken(token)).execute();
}

export async function deleteUserSessions(db: Db, workspaceId: string, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('workspace_id', '=', workspaceId).where('user_id', '=', userId).execute();
}

/** Expired sessions are dead already; this only keeps the table small. */
export async function deleteExpiredSessions(db: Db): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<', sql<Date>`now()`).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export function sessionToken(request: FastifyRequest): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim()) || undefined;
  }
  return undefined;
}

export function setSessionCookie(request: FastifyRequest, reply: FastifyReply, token: string, expiresAt: Date): void {
  reply.header('set-cookie', cookie(request, `${SESSION_COOKIE}=${encodeURIComponent(token)}`, Math.floor((expiresAt.getTime() - Date.now()) / 1000)));
}

export function clearSessionCookie(request: FastifyRequest, reply: FastifyReply): void {
  reply.header('set-cookie', cookie(request, `${SESSION_COOKIE}=`, 0));
}

function cookie(request: FastifyRequest, pair: string, maxAge: number): string {
  const secure = request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
  return `${pair}; Path=/; Max-Age=${maxAge}; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
