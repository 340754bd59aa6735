import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { AppError, invalid } from '../../platform/errors.js';
import { getWorkspace } from '../workspaces/index.js';
import { guideCustomersQuery, maskPhones, principalOf, requireOwner } from './access.js';
import { AcceptInvitation, ConsoleConfig, Invitation, Me, NewUser, SignIn, User, UserChange, WorkspaceChoice } from './schema.js';
import { acceptInvitation, describeInvitation, getUser, inviteUser, listUsers, signIn, updateUser } from './service.js';
import { checkSignInAllowed, recordSignInFailure, recordSignInSuccess } from './throttle.js';
import { clearSessionCookie, deleteSession, sessionToken, setSessionCookie } from './sessions.js';

/** The demo brand's login, shown on the sign-in page in demo mode (the demo module creates this user). */
export const DEMO_LOGIN = { email: 'demo@siyu.dev', password: 'siyu-demo' };

export function registerUserRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Console users'];

  // Guides never see a full phone number, whichever module answers them.
  app.addHook('onSend', async (request, reply, payload) => {
    if (principalOf(request)?.role !== 'guide' || typeof payload !== 'string') return payload;
    if (!String(reply.getHeader('content-type') ?? '').includes('json')) return payload;
    return JSON.stringify(maskPhones(JSON.parse(payload)));
  });

  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/console-config', summary: 'Public console settings (the demo login in demo mode)', tags, auth: 'none', response: ConsoleConfig },
    async () => {
      const loading = ctx.demoProgress?.() ?? null;
      return {
        demo: ctx.demo,
        demoLogin: ctx.demo ? DEMO_LOGIN : null,
        locales: ['zh-CN', 'en'],
        demoLoading: loading && { step: loading.step, members: loading.members, totalMembers: loading.totalMembers },
      };
    },
  );

  defineRoute(
    app,
    { method: 'POST', url: '/api/v1/session', summary: 'Sign in: sets an HttpOnly session cookie', tags, auth: 'none', body: SignIn, response: Me,
      errors: { 409: { description: 'The email and password open several workspaces (`workspace_choice_required`): sign in again with one of `error.workspaces` as `workspaceId`', schema: WorkspaceChoice } } },
    async ({ body, request, reply }) => {
      checkSignInAllowed(body.email, request.ip);
      const signedIn = await signIn(db, body, request.headers['user-agent']).catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'unauthorized') recordSignInFailure(body.email, request.ip);
        throw err;
      });
      recordSignInSuccess(body.email);
      setSessionCookie(request, reply, signedIn.token, signedIn.expiresAt);
      return me(signedIn.workspaceId, signedIn.user);
    },
  );

  defineRoute(app, { method: 'DELETE', url: '/api/v1/session', summary: 'Sign out: ends the session and clears the cookie', tags, auth: 'none' }, async ({ request, reply }) => {
    const token = sessionToken(request);
    if (token) await deleteSession(db, token);
    clearSessionCookie(request, reply);
    return { signedOut: true };
  });

  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/me', summary: 'Who is calling: the signed-in user (or the admin token) and the workspace', tags, auth: 'admin', response: Me },
    async ({ workspaceId, request }) => {
      const principal = principalOf(request);
      const user = principal?.userId ? await getUser(db, workspaceId, principal.userId) : null;
      return me(workspaceId, user);
    },
  );

  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/me/customers', summary: "A guide's own customers (phones masked)", tags, auth: 'admin',
      query: z.object({ q: z.string().optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }) },
    async ({ workspaceId, query, request }) => {
      const principal = principalOf(request);
      if (principal?.role !== 'guide' || !principal.guideId) throw invalid('only guide users have their own customers');
      let q = guideCustomersQuery(db, workspaceId, principal.guideId).select(['p.id', 'p.traits', 'p.first_seen_at', 'p.last_seen_at']);
      if (query.q) q = q.where(sql`p.traits::text`, 'ilike', `%${query.q.replace(/[%_\\]/g, '\\$&')}%`);
      const rows = await q.orderBy('p.last_seen_at', 'desc').limit(query.limit).execute();
      return { data: rows.map((r) => ({ id: r.id, traits: r.traits, firstSeenAt: r.first_seen_at, lastSeenAt: r.last_seen_at })) };
    },
  );

  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/users', summary: 'Console users of the workspace', tags, auth: 'admin', response: z.object({ data: z.array(User) }) },
    async ({ workspaceId }) => ({ data: await listUsers(db, workspaceId) }),
  );

  defineRoute(
    app,
    { method: 'POST', url: '/api/v1/users', summary: 'Invite a user (owners only); the invitation link is shown once', tags, auth: 'admin', status: 201, body: NewUser, response: Invitation },
    async ({ workspaceId, body, request, actor }) => {
      requireOwner(request);
      const invited = await inviteUser(db, workspaceId, body, actor);
      return { ...invited, inviteUrl: `${ctx.publicUrl.replace(/\/$/, '')}/invite/${invited.inviteToken}` };
    },
  );

  defineRoute(
    app,
    { method: 'PATCH', url: '/api/v1/users/:id', summary: "Change a user's name, role, guide or access (owners only)", tags, auth: 'admin',
      params: z.object({ id: z.string() }), body: UserChange, response: User },
    async ({ workspaceId, params, body, request }) => {
      requireOwner(request);
      return updateUser(db, workspaceId, params.id, body);
    },
  );

  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/invitations/:token', summary: 'What an invitation is for (public: the link is the secret)', tags, auth: 'none',
      params: z.object({ token: z.string() }) },
    async ({ params }) => describeInvitation(db, params.token),
  );

  defineRoute(
    app,
    { method: 'POST', url: '/api/v1/invitations/accept', summary: 'Accept an invitation: choose a password and sign in', tags, auth: 'none', body: AcceptInvitation, response: Me },
    async ({ body, request, reply }) => {
      const accepted = await acceptInvitation(db, body, request.headers['user-agent']);
      setSessionCookie(request, reply, accepted.token, accepted.expiresAt);
      return me(accepted.workspaceId, accepted.user);
    },
  );

  async function me(workspaceId: string, user: User | null): Promise<Me> {
    const workspace = await getWorkspace(db, workspaceId);
    return { kind: user ? 'user' : 'token', role: user?.role ?? 'owner', workspace: { id: workspace.id, name: workspace.name, timezone: workspace.timezone }, user };
  }
}
