import type { FastifyRequest } from 'fastify';
import type { Db } from '../db/database.js';
import { authenticate } from '../../modules/workspaces/index.js';
import { authenticateSession, rememberTokenPrincipal } from '../../modules/users/index.js';
import type { Authenticator } from './route.js';

/**
 * Admin API: `Authorization: Bearer <adminToken>`, or the console's session cookie (src/modules/users).
 * Ingest: Segment's HTTP Basic (`writeKey:` base64) or `writeKey` in the JSON body, exactly as Segment's
 * tracking API accepts them.
 */
export function tokenAuthenticator(db: Db): Authenticator {
  return async (request, kind) => {
    if (kind === 'admin') {
      const token = bearer(request);
      if (token === undefined) {
        // The console: a session cookie, held to the user's role (analysts read only, guides their customers).
        const session = await authenticateSession(db, request);
        if (session) return { workspaceId: session.workspaceId, actor: `user:${session.userId}` };
      }
      const workspaceId = await authenticate(db, 'admin', token);
      rememberTokenPrincipal(request, workspaceId);
      return { workspaceId, actor: `token:${token?.slice(0, 7) ?? ''}` };
    }
    const key = writeKeyOf(request);
    const workspaceId = await authenticate(db, 'write', key);
    return { workspaceId, actor: 'write-key' };
  };
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  return match?.[1]?.trim();
}

export function writeKeyOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header) {
    const basic = /^Basic\s+(.+)$/i.exec(header);
    if (basic?.[1]) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const user = decoded.split(':')[0];
      if (user) return user;
    }
    const bearerToken = /^Bearer\s+(.+)$/i.exec(header);
    if (bearerToken?.[1]) return bearerToken[1].trim();
  }
  const body = request.body as { writeKey?: unknown } | undefined;
  if (body && typeof body === 'object' && typeof body.writeKey === 'string') return body.writeKey;
  return undefined;
}
