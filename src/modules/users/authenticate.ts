import type { FastifyRequest } from 'fastify';
import type { Db } from '../../platform/db/database.js';
import { unauthorized } from '../../platform/errors.js';
import { authorizeSession, rememberPrincipal, type Principal } from './access.js';
import { findSession, sessionToken } from './sessions.js';

/**
 * The console half of admin authentication: a request without a bearer token but with a session cookie is the
 * signed-in user, held to their role. Returns undefined when there is no cookie (the caller then asks for a token).
 */
export async function authenticateSession(db: Db, request: FastifyRequest): Promise<Principal | undefined> {
  const token = sessionToken(request);
  if (!token) return undefined;
  const session = await findSession(db, token);
  if (!session) throw unauthorized('your session has expired: sign in again');
  await authorizeSession(db, session, request);
  const principal: Principal = { kind: 'user', workspaceId: session.workspaceId, role: session.role, userId: session.userId, guideId: session.guideId };
  rememberPrincipal(request, principal);
  return principal;
}

/** An admin token acts with an owner's rights. */
export function rememberTokenPrincipal(request: FastifyRequest, workspaceId: string): void {
  rememberPrincipal(request, { kind: 'token', workspaceId, role: 'owner', userId: null, guideId: null });
}
