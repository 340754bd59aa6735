import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { createUser } from '../../src/modules/users/index.js';

let seq = 0;
const uniqueEmail = (who: string) => `${who}-${process.pid}-${Date.now()}-${++seq}@example.com`;
const cookieOf = (res: { headers: Record<string, unknown> }) => String(res.headers['set-cookie']).split(';')[0]!;

describeEachDatabase('console users and sessions', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  async function signIn(email: string, password: string) {
    return app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password } });
  }

  it('signs in with a session cookie (HttpOnly, SameSite=Lax), stores argon2id hashes and hashed sessions, signs out', async () => {
    const ws = await newWorkspace(ctx.database);
    const email = uniqueEmail('owner');
    await createUser(ctx.database.db, ws.id, { email, password: 'correct horse', role: 'owner', name: 'Owner' });
    const stored = await ctx.database.db.selectFrom('users').selectAll().where('workspace_id', '=', ws.id).executeTakeFirstOrThrow();
    expect(stored.password_hash).toMatch(/^\$argon2id\$/);

    expect((await signIn(email, 'wrong horse')).statusCode).toBe(401);
    expect((await signIn(uniqueEmail('nobody'), 'correct horse')).json()).toMatchObject({ error: { code: 'unauthorized' } });

    const res = await signIn(email.toUpperCase(), 'correct horse');
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(/^siyu_session=ss_/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    const cookie = cookieOf(res);
    const token = decodeURIComponent(cookie.split('=')[1]!);
    const session = await ctx.database.db.selectFrom('sessions').selectAll().where('workspace_id', '=', ws.id).executeTakeFirstOrThrow();
    expect(session.token_hash).not.toContain(token);
    expect(session.expires_at.getTime()).toBeGreaterThan(Date.now());

    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({ kind: 'user', role: 'owner', workspace: { id: ws.id }, user: { email, name: 'Owner', status: 'active' } });
    // The session opens the whole admin API, like a token.
    expect((await app.inject({ method: 'GET', url: '/api/v1/keys', headers: { cookie } })).statusCode).toBe(200);

    const out = await app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie } });
    expect(String(out.headers['set-cookie'])).toContain('Max-Age=0');
    const after = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } });
    expect(after.statusCode).toBe(401);
  });

  it('keeps the admin token working unchanged, acting as an owner', async () => {
    const ws = await newWorkspace(ctx.database);
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: bearer(ws.adminToken) });
    expect(me.json()).toMatchObject({ kind: 'token', role: 'owner', workspace: { id: ws.id }, user: null });
    expect((await app.inject({ method: 'GET', url: '/api/v1/me' })).statusCode).toBe(401);
  });

  it('lets an owner invite users; the invitee sets a password through the link and signs in', async () => {
    const ws = await newWorkspace(ctx.database);
    const email = uniqueEmail('analyst');
    const invited = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(ws.adminToken), payload: { email, name: 'Ana', role: 'analyst' } });
    expect(invited.statusCode).toBe(201);
    const { inviteToken, inviteUrl, status } = invited.json() as { inviteToken: string; inviteUrl: string; status: string };
    expect(status).toBe('invited');
    expect(inviteUrl).toContain(`/invite/${inviteToken}`);
    expect((await signIn(email, 'whatever-pass')).statusCode).toBe(401);

    const info = await app.inject({ method: 'GET', url: `/api/v1/invitations/${inviteToken}` });
    expect(info.json()).toMatchObject({ email, name: 'Ana' });
    const short = await app.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { token: inviteToken, password: 'short' } });
    expect(short.statusCode).toBe(400);
    expect(JSON.stringify(short.json())).toContain('body.password');
    const accepted = await app.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { token: inviteToken, password: 'analyst-pass' } });
    expect(accepted.statusCode).toBe(200);
    expect(cookieOf(accepted)).toMatch(/^siyu_session=/);
    // The link works once.
    expect((await app.inject({ method: 'POST', url: '/api/v1/invitations/accept', payload: { token: inviteToken, password: 'analyst-pass' } })).statusCode).toBe(404);
    expect((await signIn(email, 'analyst-pass')).statusCode).toBe(200);

    const dup = await app.inject({ method: 'POST', url: '/api/v1/users', headers: bearer(ws.adminToken), payload: { email, name: 'Ana', role: 'operator' } });
    expect(dup.statusCode).toBe(409);
  });

  it('holds analysts to reads (403 forbidden on writes) and keeps user management to owners', async () => {
    const ws = await newWorkspace(ctx.database);
    const analyst = uniqueEmail('analyst');
    const operator = uniqueEmail('operator');
    await createUser(ctx.database.db, ws.id, { email: analyst, password: 'analyst-pass', role: 'analyst' });
    await createUser(ctx.database.db, ws.id, { email: operator, password: 'operator-pass', role: 'operator' });
    const analystCookie = cookieOf(await signIn(analyst, 'analyst-pass'));
    const operatorCookie = cookieOf(await signIn(operator, 'operator-pass'));

    expect((await app.inject({ method: 'GET', url: '/api/v1/keys', headers: { cookie: analystCookie } })).statusCode).toBe(200);
    const write = await app.inject({ method: 'POST', url: '/api/v1/keys', headers: { cookie: analystCookie }, payload: { kind: 'write', name: 'x' } });
    expect(write.statusCode).toBe(403);
    expect(write.json()).toMatchObject({ error: { code: 'forbidden' } });

    const byOperator = await app.inject({ method: 'POST', url: '/api/v1/keys', headers: { cookie: operatorCookie }, payload: { kind: 'write', name: 'ops key' } });
    expect(byOperator.statusCode).toBe(201);
    const invite = await app.inject({ method: 'POST', url: '/api/v1/users', headers: { cookie: operatorCookie }, payload: { email: uniqueEmail('x'), name: 'X', role: 'owner' } });
    expect(invite.statusCode).toBe(403);
    // Sign-out needs no write right.
    expect((await app.inject({ method: 'DELETE', url: '/api/v1/session', headers: { cookie: analystCookie } })).statusCode).toBe(200);
  });

  it('disabling a user ends their sessions, and the workspace keeps one active owner', async () => {
    const ws = await newWorkspace(ctx.database);
    const owner = await createUser(ctx.database.db, ws.id, { email: uniqueEmail('owner'), password: 'owner-pass', role: 'owner' });
    const op = await createUser(ctx.database.db, ws.id, { email: uniqueEmail('op'), password: 'operator-pass', role: 'operator' });
    const opCookie = cookieOf(await signIn(op.email, 'operator-pass'));
    const demoteLast = await app.inject({ method: 'PATCH', url: `/api/v1/users/${owner.id}`, headers: bearer(ws.adminToken), payload: { role: 'analyst' } });
    expect(demoteLast.statusCode).toBe(409);
    const disabled = await app.inject({ method: 'PATCH', url: `/api/v1/users/${op.id}`, headers: bearer(ws.adminToken), payload: { disabled: true } });
    expect(disabled.json()).toMatchObject({ status: 'disabled' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: opCookie } })).statusCode).toBe(401);
    expect((await signIn(op.email, 'operator-pass')).statusCode).toBe(401);
  });

  it('slows password guessing: after 10 failures an email is refused for a while, even with the right password', async () => {
    const ws = await newWorkspace(ctx.database);
    const email = uniqueEmail('target');
    await createUser(ctx.database.db, ws.id, { email, password: 'right-password', role: 'operator' });
    for (let i = 0; i < 10; i++) expect((await signIn(email, `guess-${i}`)).statusCode).toBe(401);
    const blocked = await signIn(email, 'right-password');
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toMatchObject({ error: { code: 'too_many_attempts' } });
    const other = uniqueEmail('bystander');
    await createUser(ctx.database.db, ws.id, { email: other, password: 'right-password', role: 'operator' });
    expect((await signIn(other, 'right-password')).statusCode).toBe(200);
  });

  it('asks which workspace when the email and password open several, and signs in to the chosen one', async () => {
    const first = await newWorkspace(ctx.database, 'brand-a');
    const second = await newWorkspace(ctx.database, 'brand-b');
    const other = await newWorkspace(ctx.database, 'brand-c');
    const email = uniqueEmail('multi');
    await createUser(ctx.database.db, first.id, { email, password: 'shared-pass', role: 'owner' });
    await createUser(ctx.database.db, second.id, { email, password: 'shared-pass', role: 'analyst' });
    await createUser(ctx.database.db, other.id, { email, password: 'other-pass', role: 'operator' });

    const choice = await signIn(email, 'shared-pass');
    expect(choice.statusCode).toBe(409);
    expect(choice.headers['set-cookie']).toBeUndefined();
    expect(choice.json()).toEqual({
      error: { code: 'workspace_choice_required', message: expect.any(String), workspaces: [{ id: first.id, name: first.name }, { id: second.id, name: second.name }] },
    });

    const chosen = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: 'shared-pass', workspaceId: second.id } });
    expect(chosen.statusCode).toBe(200);
    expect(chosen.json()).toMatchObject({ role: 'analyst', workspace: { id: second.id } });
    const me = await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie: cookieOf(chosen) } });
    expect(me.json()).toMatchObject({ workspace: { id: second.id } });

    // A password opens only its own workspace; a chosen workspace still needs its own password.
    expect((await signIn(email, 'other-pass')).json()).toMatchObject({ workspace: { id: other.id }, role: 'operator' });
    const wrong = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: 'shared-pass', workspaceId: other.id } });
    expect(wrong.statusCode).toBe(401);

    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    const answer = doc.paths['/api/v1/session'].post.responses['409'].content['application/json'].schema;
    expect(JSON.stringify(answer)).toContain('workspace_choice_required');
  });

  it('exposes the demo login only in demo mode', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/console-config' });
    expect(res.json()).toMatchObject({ demo: false, demoLogin: null });
  });
});
