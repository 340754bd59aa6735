import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { exportMembersCsv, processProfileChanges } from '../../src/modules/segments/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer } from '../support/app.js';
import { addEvents, newTestWorkspace, seedProfile } from '../rules/seed.js';

describeEachDatabase('segments API', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it('estimates before saving, materialises, pages, exports, records Segment Entered/Exited', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const gold = await seedProfile(db, ws.id, { traits: { plan: 'gold', name: 'Li, "Lei"', note: '=1+1' }, identifiers: [{ type: 'phone', value: '+8613800000001' }, { type: 'email', value: 'li@example.com' }] });
    const silver = await seedProfile(db, ws.id, { traits: { plan: 'silver' } });
    const rule = { version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'gold' } };

    const estimate = await app.inject({ method: 'POST', url: '/api/v1/rules/estimate', headers, payload: { rule } });
    expect(estimate.json()).toEqual({ size: 1, sample: [gold] });
    const bad = await app.inject({ method: 'POST', url: '/api/v1/rules/validate', headers, payload: { rule: { condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'gt', value: 'a' } } } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_request', details: [{ path: 'body.rule.condition.op' }] } });

    const created = await app.inject({ method: 'POST', url: '/api/v1/segments', headers, payload: { name: 'Gold', rule } });
    expect(created.statusCode).toBe(201);
    const segment = created.json() as { id: string; size: number };
    expect(segment.size).toBe(1);

    const members = await app.inject({ method: 'GET', url: `/api/v1/segments/${segment.id}/members?limit=10`, headers });
    expect(members.json()).toMatchObject({ data: [{ profileId: gold, traits: { plan: 'gold' } }], next: null });

    const csv = await app.inject({ method: 'GET', url: `/api/v1/segments/${segment.id}/export?identifierTypes=phone,email&traits=name,plan,note`, headers });
    expect(csv.headers['content-type']).toMatch(/text\/csv/);
    expect(csv.headers['content-disposition']).toBe(`attachment; filename="Gold.csv"; filename*=UTF-8''Gold.csv`);
    expect(csv.body).toBe(`\ufeffprofile_id,phone,email,trait.name,trait.plan,trait.note\n${gold},+8613800000001,li@example.com,"Li, ""Lei""",gold,'=1+1\n`);

    // Silver upgrades: real time enters her, and the entry is an event on her profile.
    await db.updateTable('profiles').set({ traits: JSON.stringify({ plan: 'gold' }) }).where('workspace_id', '=', ws.id).where('id', '=', silver).execute();
    await addEvents(db, ws.id, silver, []);
    await processProfileChanges(db, ws.id);
    const mine = await app.inject({ method: 'GET', url: `/api/v1/profiles/${silver}/segments`, headers });
    expect((mine.json() as { data: { segmentId: string }[] }).data.map((d) => d.segmentId)).toEqual([segment.id]);
    const events = await db.selectFrom('events').select(['event', 'properties']).where('workspace_id', '=', ws.id).where('profile_id', '=', silver).execute();
    expect(events).toEqual([{ event: 'Segment Entered', properties: { segment_id: segment.id, segment_name: 'Gold' } }]);

    // The rule changes: a full recompute; both leave.
    const patched = await app.inject({ method: 'PATCH', url: `/api/v1/segments/${segment.id}`, headers,
      payload: { rule: { version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'platinum' } } } });
    expect(patched.json()).toMatchObject({ size: 0 });
    const exits = await db.selectFrom('events').select('profile_id').where('workspace_id', '=', ws.id).where('event', '=', 'Segment Exited').execute();
    expect(exits.map((e) => e.profile_id!).sort((x, y) => x - y)).toEqual([gold, silver].sort((x, y) => x - y));
  });

  it('exports traits named like built-in object properties as the profile holds them (empty when it has none)', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const has = await seedProfile(db, ws.id, { traits: { plan: 'gold', constructor: 'c' } });
    const lacks = await seedProfile(db, ws.id, { traits: { plan: 'gold' } });
    const rule = { version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'gold' } };
    const segment = (await app.inject({ method: 'POST', url: '/api/v1/segments', headers, payload: { name: 'Gold', rule } })).json() as { id: string };
    const csv = await app.inject({ method: 'GET', url: `/api/v1/segments/${segment.id}/export?traits=constructor,toString,valueOf&bom=false`, headers });
    expect(csv.body).toBe(`profile_id,trait.constructor,trait.toString,trait.valueOf\n${has},c,,\n${lacks},,,\n`);
  });

  it('names the download after the segment, in Chinese for browsers that read filename* and in ASCII for the rest', async () => {
    const ws = await newTestWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const rule = { version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'gold' } };
    const segment = (await app.inject({ method: 'POST', url: '/api/v1/segments', headers, payload: { name: '上海/金卡 "VIP"', rule } })).json() as { id: string };
    const res = await app.inject({ method: 'GET', url: `/api/v1/segments/${segment.id}/export`, headers });
    expect(res.headers['content-disposition']).toBe(`attachment; filename="_____ _VIP_.csv"; filename*=UTF-8''${encodeURIComponent('上海_金卡 "VIP".csv')}`);
    expect(res.body).toBe('\ufeffprofile_id\n');
  });

  it('exports page by page: the pages join into the whole file, and an unknown segment is a 404 before any byte', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push(await seedProfile(db, ws.id, { traits: { plan: 'gold', n: i }, identifiers: [{ type: 'member_no', value: `P${i}` }] }));
    const rule = { version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'gold' } };
    const segment = (await app.inject({ method: 'POST', url: '/api/v1/segments', headers, payload: { name: 'Gold', rule } })).json() as { id: string };
    const whole = `profile_id,member_no,trait.n\n${ids.map((id, i) => `${id},P${i},${i}\n`).join('')}`;
    const res = await app.inject({ method: 'GET', url: `/api/v1/segments/${segment.id}/export?identifierTypes=member_no&traits=n&bom=false`, headers });
    expect(res.body).toBe(whole);
    const chunks: string[] = [];
    for await (const chunk of await exportMembersCsv(db, ws.id, segment.id, { identifierTypes: ['member_no'], traits: ['n'], pageSize: 2 })) chunks.push(chunk);
    expect(chunks).toHaveLength(4); // the header and three pages of at most 2
    expect(chunks.join('')).toBe(whole);
    const missing = await app.inject({ method: 'GET', url: '/api/v1/segments/seg_nope/export?traits=n', headers });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'not_found' } });
  });

  it('creates static segments from CSV and from a snapshot, and refuses to delete a segment other rules use', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const headers = bearer(ws.adminToken);
    const a = await seedProfile(db, ws.id, { identifiers: [{ type: 'member_no', value: 'M001' }], traits: { vip: true } });
    await seedProfile(db, ws.id, { identifiers: [{ type: 'member_no', value: 'M002' }] });
    const fromCsv = await app.inject({ method: 'POST', url: '/api/v1/segments/static', headers, payload: { name: 'Imported', csv: 'member_no\nM001\nM404\n' } });
    expect(fromCsv.statusCode).toBe(201);
    expect(fromCsv.json()).toMatchObject({ kind: 'static', size: 1, unmatched: 1 });

    const vip = (await app.inject({ method: 'POST', url: '/api/v1/segments', headers,
      payload: { name: 'VIP', rule: { version: 1, condition: { kind: 'trait', trait: 'vip', type: 'boolean', op: 'eq', value: true } } } })).json() as { id: string };
    const snapshot = await app.inject({ method: 'POST', url: '/api/v1/segments/static', headers, payload: { name: 'VIP on launch day', snapshotOf: vip.id } });
    expect(snapshot.json()).toMatchObject({ size: 1 });
    const snapshotMembers = await app.inject({ method: 'GET', url: `/api/v1/segments/${(snapshot.json() as { id: string }).id}/members`, headers });
    expect((snapshotMembers.json() as { data: { profileId: number }[] }).data.map((m) => m.profileId)).toEqual([a]);

    const both = await app.inject({ method: 'POST', url: '/api/v1/segments/static', headers, payload: { name: 'x', csv: 'profile_id\n1\n', snapshotOf: vip.id } });
    expect(both.statusCode).toBe(400);

    await app.inject({ method: 'POST', url: '/api/v1/segments', headers, payload: { name: 'uses VIP', rule: { version: 1, condition: { kind: 'segment', op: 'in', segment: vip.id } } } });
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/segments/${vip.id}`, headers });
    expect(del.statusCode).toBe(409);
  });

  it('documents the rules-tier routes in the OpenAPI document and needs the admin token', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> };
    for (const path of ['/api/v1/segments/{id}/members', '/api/v1/tags/{id}/apply', '/api/v1/rules/estimate', '/api/v1/reports/aipl', '/api/v1/reports/rfm', '/api/v1/overlap', '/api/v1/profiles/{id}/lifecycle']) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect((await app.inject({ method: 'GET', url: '/api/v1/segments' })).statusCode).toBe(401);
  });
});
