import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';

describeEachDatabase('workspace keys', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('creates, lists and revokes admin tokens; secrets are stored hashed', async () => {
    const ws = await newWorkspace(ctx.database);
    const created = await app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(ws.adminToken), payload: { kind: 'admin', name: 'ops' } });
    expect(created.statusCode).toBe(201);
    const { id, secret } = created.json() as { id: string; secret: string };
    expect(secret).toMatch(/^at_/);

    const stored = await ctx.database.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(stored.secret_hash).not.toContain(secret);
    expect(stored.secret_hash).toMatch(/^[0-9a-f]{64}$/);

    const listed = await app.inject({ method: 'GET', url: '/api/v1/keys?kind=admin', headers: bearer(secret) });
    expect(listed.statusCode).toBe(200);
    const data = (listed.json() as { data: { id: string; secret?: string }[] }).data;
    expect(data.map((k) => k.id)).toContain(id);
    expect(data.every((k) => k.secret === undefined)).toBe(true);

    const revoked = await app.inject({ method: 'DELETE', url: `/api/v1/keys/${id}`, headers: bearer(ws.adminToken) });
    expect(revoked.statusCode).toBe(200);
    const after = await app.inject({ method: 'GET', url: '/api/v1/keys', headers: bearer(secret) });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('keeps workspaces apart: a token never sees another workspace', async () => {
    const a = await newWorkspace(ctx.database);
    const b = await newWorkspace(ctx.database);
    const keysOfB = await app.inject({ method: 'GET', url: '/api/v1/keys', headers: bearer(b.adminToken) });
    const idOfBKey = (keysOfB.json() as { data: { id: string }[] }).data[0]!.id;
    const cross = await app.inject({ method: 'DELETE', url: `/api/v1/keys/${idOfBKey}`, headers: bearer(a.adminToken) });
    expect(cross.statusCode).toBe(404);
    const ws = await app.inject({ method: 'GET', url: '/api/v1/workspace', headers: bearer(a.adminToken) });
    expect(ws.json()).toMatchObject({ id: a.id });
  });

  it('rejects a write key on the admin API and bad input with a stable code', async () => {
    const ws = await newWorkspace(ctx.database);
    const wrongKind = await app.inject({ method: 'GET', url: '/api/v1/keys', headers: bearer(ws.writeKey) });
    expect(wrongKind.statusCode).toBe(401);
    const bad = await app.inject({ method: 'POST', url: '/api/v1/keys', headers: bearer(ws.adminToken), payload: { kind: 'root', name: '' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect((bad.json() as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toEqual(['body.kind', 'body.name']);
  });

  it('answers /healthz and serves an OpenAPI document', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/api/v1/keys/{id}');
  });
});
