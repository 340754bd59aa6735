import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import fc from 'fast-check';
import { describeEachDatabase } from '../support/databases.js';
import { basic, bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { buildServer } from '../../src/apps/server/server.js';
import { createUser, maskPhone, maskPhones } from '../../src/modules/users/index.js';

describeEachDatabase('guide users', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  async function profileWith(workspaceId: string, traits: Record<string, unknown>): Promise<number> {
    const { rows } = await sql<{ id: number }>`SELECT nextval('profile_id_seq') AS id`.execute(ctx.database.db);
    const id = Number(rows[0]!.id);
    await ctx.database.db.insertInto('profiles').values({ workspace_id: workspaceId, id, traits: JSON.stringify(traits), trait_times: '{}', last_seen_at: new Date() }).execute();
    return id;
  }

  it('a guide sees only their own customers, with phone numbers masked, and nothing else', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await db.insertInto('guides').values([{ workspace_id: ws.id, id: 'g1', name: 'Li' }, { workspace_id: ws.id, id: 'g2', name: 'Wang' }]).execute();
    const byTrait = await profileWith(ws.id, { name: 'Zhang San', phone: '13812345678', guideId: 'g1' });
    const bySale = await profileWith(ws.id, { name: 'Li Si', mobile: '13900001111' });
    const other = await profileWith(ws.id, { name: 'Wang Wu', phone: '13700002222', guideId: 'g2' });
    const bySnakeTrait = await profileWith(ws.id, { name: 'Zhao Liu', guide_id: 'g1' });
    await db.insertInto('orders').values({ workspace_id: ws.id, order_id: 'o1', identifier_id: 1, profile_id: bySale, guide_id: 'g1', status: 'paid', total_amount: 10, paid_amount: 10, ordered_at: new Date() }).execute();

    const email = `guide-${process.pid}-${Date.now()}@example.com`;
    await expect(createUser(db, ws.id, { email, password: 'guide-pass', role: 'guide' })).rejects.toMatchObject({ code: 'invalid_request' });
    await createUser(db, ws.id, { email, password: 'guide-pass', role: 'guide', guideId: 'g1' });
    const signedIn = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: 'guide-pass' } });
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;

    const customers = await app.inject({ method: 'GET', url: '/api/v1/me/customers', headers: { cookie } });
    expect(customers.statusCode).toBe(200);
    const data = (customers.json() as { data: { id: number; traits: Record<string, string> }[] }).data;
    expect(data.map((c) => c.id).sort()).toEqual([byTrait, bySale, bySnakeTrait].sort());
    expect(JSON.stringify(data)).not.toContain('13812345678');
    expect(data.find((c) => c.id === byTrait)!.traits.phone).toBe('138****5678');
    expect(data.find((c) => c.id === bySale)!.traits.mobile).toBe('139****1111');
    expect(data.some((c) => c.id === other)).toBe(false);

    const searched = await app.inject({ method: 'GET', url: '/api/v1/me/customers?q=zhang', headers: { cookie } });
    expect((searched.json() as { data: { id: number }[] }).data.map((c) => c.id)).toEqual([byTrait]);

    const keys = await app.inject({ method: 'GET', url: '/api/v1/keys', headers: { cookie } });
    expect(keys.statusCode).toBe(403);
    expect(keys.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect((await app.inject({ method: 'GET', url: '/api/v1/me', headers: { cookie } })).json()).toMatchObject({ role: 'guide', user: { guideId: 'g1' } });
  });

  it("a guide opens their own customer's profile (phones masked) but not another's, nor the full list", async () => {
    const ws = await newWorkspace(ctx.database);
    await ctx.database.db.insertInto('guides').values({ workspace_id: ws.id, id: 'g9', name: 'Zhao' }).execute();
    const batch = [
      { type: 'identify', userId: 'mine', traits: { name: 'Mine', phone: '13811112222', guideId: 'g9' }, messageId: 'm1' },
      { type: 'identify', userId: 'theirs', traits: { name: 'Theirs', phone: '13833334444' }, messageId: 'm2' },
    ];
    const ingested = await app.inject({ method: 'POST', url: '/v1/batch', headers: basic(ws.writeKey), payload: { batch } });
    expect(ingested.statusCode).toBe(200);
    const idOf = async (userId: string) =>
      ((await app.inject({ method: 'GET', url: `/api/v1/profiles/lookup?type=userId&value=${userId}`, headers: bearer(ws.adminToken) })).json() as { id: number }).id;
    const mine = await idOf('mine');
    const theirs = await idOf('theirs');

    const email = `guide9-${process.pid}-${Date.now()}@example.com`;
    await createUser(ctx.database.db, ws.id, { email, password: 'guide-pass', role: 'guide', guideId: 'g9' });
    const signedIn = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: 'guide-pass' } });
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;

    const own = await app.inject({ method: 'GET', url: `/api/v1/profiles/${mine}`, headers: { cookie } });
    expect(own.statusCode).toBe(200);
    expect(own.body).not.toContain('13811112222');
    expect(own.body).toContain('138****2222');
    expect((await app.inject({ method: 'GET', url: `/api/v1/profiles/${mine}/events`, headers: { cookie } })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/api/v1/profiles/${theirs}`, headers: { cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/profiles', headers: { cookie } })).statusCode).toBe(403);
    expect((await app.inject({ method: 'GET', url: '/api/v1/profiles/lookup?type=userId&value=theirs', headers: { cookie } })).statusCode).toBe(403);
    // An owner sees the number in full.
    expect((await app.inject({ method: 'GET', url: `/api/v1/profiles/${mine}`, headers: bearer(ws.adminToken) })).body).toContain('13811112222');
  });

  it('shows the demo login on the public console config in demo mode', async () => {
    const demoApp = await buildServer({ database: ctx.database, publicUrl: 'http://127.0.0.1:3000', demo: true });
    try {
      const res = await demoApp.inject({ method: 'GET', url: '/api/v1/console-config' });
      expect(res.json()).toMatchObject({ demo: true, demoLogin: { email: 'demo@siyu.dev', password: 'siyu-demo' } });
    } finally {
      await demoApp.close();
    }
  });
});

it('masks phone numbers wherever they appear, keeping the shape of the answer', () => {
  expect(maskPhone('+8613812345678')).toBe('+86****5678');
  const masked = maskPhones({ identifiers: [{ type: 'phone', value: '13812345678' }, { type: 'email', value: 'a@b.c' }], traits: { phoneNumber: '13800000000', city: 'Shanghai' } });
  expect(masked).toEqual({ identifiers: [{ type: 'phone', value: '138****5678' }, { type: 'email', value: 'a@b.c' }], traits: { phoneNumber: '138****0000', city: 'Shanghai' } });
  fc.assert(
    fc.property(fc.stringMatching(/^1[3-9]\d{9}$/), (phone) => {
      const out = JSON.stringify(maskPhones({ a: [{ mobile: phone }], b: { type: 'mobile', value: phone } }));
      return !out.includes(phone) && out.includes(phone.slice(-4));
    }),
  );
});
