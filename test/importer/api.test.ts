import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { Readable } from 'node:stream';
import { importFinished, startImport, type ImportJob } from '../../src/modules/importer/index.js';
import { getOrder } from '../../src/modules/orders/index.js';
import { lookupProfile } from '../../src/modules/profiles/index.js';
import { createUser } from '../../src/modules/users/index.js';

let seq = 0;
const uniqueEmail = (who: string) => `${who}-${process.pid}-${Date.now()}-${++seq}@example.com`;

const MEMBERS = [
  'member_no,name,phone,city,joined_at',
  'A1,王芳,13800000001,上海,2026-01-05',
  'A2,李娜,13800000002,杭州,2026-02-01',
  ',无名,,北京,2026-03-01', // no identifier
  'A4,张伟,12345,北京,2026-03-02', // not a phone
  'A5,刘洋,13800000005,深圳,2026-04-01',
].join('\n');

describeEachDatabase('import API', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  const upload = (token: string, url: string, payload: string, contentType = 'text/csv') =>
    app.inject({ method: 'POST', url, headers: { ...bearer(token), 'content-type': contentType }, payload });
  const finished = async (workspaceId: string, id: string) => importFinished(workspaceId, id);

  it('takes an upload over a real connection, as browsers and curl send it (not only through inject)', async () => {
    const ws = await newWorkspace(ctx.database);
    const server = await buildTestServer(ctx.database);
    try {
      const address = await server.listen({ port: 0, host: '127.0.0.1' });
      const res = await fetch(`${address}/api/v1/imports?kind=members&fileName=members.csv`, {
        method: 'POST', headers: { ...bearer(ws.adminToken), 'content-type': 'text/csv' }, body: MEMBERS,
      });
      const job = (await res.json()) as ImportJob;
      expect(res.status, JSON.stringify(job)).toBe(202);
      expect((await finished(ws.id, job.id)).status).toBe('done');
      expect((await lookupProfile(ctx.database.db, ws.id, 'member_no', 'A5')).traits).toMatchObject({ name: '刘洋' });
    } finally {
      await server.close();
    }
  });

  it('reads a GBK upload as GB18030 (or as named), and refuses an Excel workbook in the upload\'s answer', async () => {
    const ws = await newWorkspace(ctx.database);
    // 'member_no,name\nK1,王芳\n' in GBK (Excel's "CSV" on Chinese Windows).
    const gbk = Buffer.concat([Buffer.from('member_no,name\nK1,'), Buffer.from('cdf5b7bc', 'hex'), Buffer.from('\n')]);
    const post = (query: string, payload: Buffer) =>
      app.inject({ method: 'POST', url: `/api/v1/imports?kind=members&${query}`, headers: { ...bearer(ws.adminToken), 'content-type': 'text/csv' }, payload });
    const auto = await post('fileName=members.csv', gbk);
    expect(auto.statusCode, auto.body).toBe(202);
    expect(await finished(ws.id, auto.json<ImportJob>().id)).toMatchObject({ status: 'done', imported: 1, encoding: 'gb18030' });
    expect((await lookupProfile(ctx.database.db, ws.id, 'member_no', 'K1')).traits).toMatchObject({ name: '王芳' });
    const named = await post('fileName=members.csv&encoding=gbk', gbk);
    expect(named.json<ImportJob>().encoding).toBe('gb18030');
    expect(await finished(ws.id, named.json<ImportJob>().id)).toMatchObject({ status: 'done', unchanged: 1 });

    const workbook = await post('fileName=members.xlsx', Buffer.concat([Buffer.from('504b0304', 'hex'), Buffer.alloc(100, 1)]));
    expect(workbook.statusCode).toBe(400);
    expect(workbook.json()).toMatchObject({ error: { code: 'invalid_request', message: expect.stringContaining('spreadsheet workbook') } });
    expect((await post('encoding=shift_jis', gbk)).statusCode).toBe(400);
  });

  it('checks a file without writing anything (dryRun), reporting what would import and the rejects', async () => {
    const ws = await newWorkspace(ctx.database);
    const res = await upload(ws.adminToken, '/api/v1/imports?kind=members&fileName=members.csv&dryRun=true', MEMBERS);
    expect(res.statusCode).toBe(202);
    expect(res.json<ImportJob>().dryRun).toBe(true);
    expect(await finished(ws.id, res.json<ImportJob>().id)).toMatchObject({ status: 'done', dryRun: true, rows: 5, imported: 3, rejected: 2 });
    const rejects = await app.inject({ method: 'GET', url: `/api/v1/imports/${res.json<ImportJob>().id}/rejects?bom=false`, headers: bearer(ws.adminToken) });
    expect(rejects.body.split('\n').slice(1, 3).map((l) => l.split(',')[0])).toEqual(['4', '5']);
    await expect(lookupProfile(ctx.database.db, ws.id, 'member_no', 'A1')).rejects.toMatchObject({ code: 'not_found' });
    const orders = await upload(ws.adminToken, '/api/v1/imports?kind=orders&fileName=orders.csv&dryRun=true',
      'order_id,member_no,status,total_amount,ordered_at,sku,quantity,price\nD1,A1,paid,10,2026-01-01 10:00,S1,1,10\nD2,A1,paid,-5,2026-01-01 10:00,S1,1,10\n');
    expect(await finished(ws.id, orders.json<ImportJob>().id)).toMatchObject({ status: 'done', dryRun: true, imported: 1, rejected: 1 });
    await expect(getOrder(ctx.database.db, ws.id, 'D1')).rejects.toMatchObject({ code: 'not_found' });
    // The same file for real afterwards.
    const real = await upload(ws.adminToken, '/api/v1/imports?kind=members&fileName=members.csv', MEMBERS);
    expect(await finished(ws.id, real.json<ImportJob>().id)).toMatchObject({ dryRun: false, imported: 3, rejected: 2 });
  });

  it('uploads a members CSV, reports progress and the summary, serves the rejects as CSV; a re-upload changes nothing', async () => {
    const ws = await newWorkspace(ctx.database);
    const res = await upload(ws.adminToken, '/api/v1/imports?kind=members&fileName=members.csv', MEMBERS);
    expect(res.statusCode).toBe(202);
    const started = res.json<ImportJob>();
    expect(started).toMatchObject({ kind: 'members', format: 'csv', fileName: 'members.csv', rowsTotal: 5, totalBytes: Buffer.byteLength(MEMBERS) });
    expect(started.id).toMatch(/^imp_/);
    await finished(ws.id, started.id);

    const status = await app.inject({ method: 'GET', url: `/api/v1/imports/${started.id}`, headers: bearer(ws.adminToken) });
    expect(status.statusCode).toBe(200);
    expect(status.json()).toMatchObject({ status: 'done', rows: 5, rowsTotal: 5, imported: 3, unchanged: 0, rejected: 2, error: null });
    expect(status.json<ImportJob>().finishedAt).not.toBeNull();

    const rejects = await app.inject({ method: 'GET', url: `/api/v1/imports/${started.id}/rejects`, headers: bearer(ws.adminToken) });
    expect(rejects.statusCode).toBe(200);
    expect(rejects.headers['content-type']).toContain('text/csv');
    expect(rejects.headers['content-disposition']).toContain('filename="members.csv.rejects.csv"');
    // A UTF-8 byte-order mark first, so Excel shows Chinese text; ?bom=false leaves it out.
    expect(rejects.body.startsWith('\ufeffline,reason\n')).toBe(true);
    const bare = await app.inject({ method: 'GET', url: `/api/v1/imports/${started.id}/rejects?bom=false`, headers: bearer(ws.adminToken) });
    expect(bare.body).toBe(rejects.body.slice(1));
    const lines = bare.body.trim().split('\n');
    expect(lines[0]).toBe('line,reason');
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([4, 5]);
    expect(lines[1]).toContain('no identifier');
    expect(lines[2]).toContain('not a valid phone');

    expect((await lookupProfile(ctx.database.db, ws.id, 'member_no', 'A5')).traits).toMatchObject({ name: '刘洋', city: '深圳' });

    const again = await upload(ws.adminToken, '/api/v1/imports?kind=members', MEMBERS);
    expect(await finished(ws.id, again.json<ImportJob>().id)).toMatchObject({ status: 'done', imported: 0, unchanged: 3, rejected: 2 });

    const list = await app.inject({ method: 'GET', url: '/api/v1/imports', headers: bearer(ws.adminToken) });
    expect(list.json<{ data: ImportJob[] }>().data.map((j) => j.id)).toEqual([again.json<ImportJob>().id, started.id]);
  });

  it('imports orders from JSON lines', async () => {
    const ws = await newWorkspace(ctx.database);
    const body = `${JSON.stringify({ orderId: 'API-1', customer: { phone: '13800000009' }, totalAmount: 10, orderedAt: '2026-06-01T00:00:00Z' })}\n{not json}\n`;
    const res = await upload(ws.adminToken, '/api/v1/imports?kind=orders&fileName=orders.jsonl', body, 'application/x-ndjson');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ format: 'jsonl' });
    expect(await finished(ws.id, res.json<ImportJob>().id)).toMatchObject({ status: 'done', imported: 1, rejected: 1 });
    expect((await getOrder(ctx.database.db, ws.id, 'API-1')).totalAmount).toBe(10);
  });

  it('refuses bad requests with stable codes, keeps imports to their workspace and to owners and operators', async () => {
    const ws = await newWorkspace(ctx.database);
    const other = await newWorkspace(ctx.database);
    expect((await upload(ws.adminToken, '/api/v1/imports?kind=people', MEMBERS)).json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect((await upload(ws.adminToken, '/api/v1/imports', MEMBERS)).statusCode).toBe(400);
    const form = await upload(ws.adminToken, '/api/v1/imports?kind=members', 'member_no=1', 'application/x-www-form-urlencoded');
    expect(form.statusCode).toBe(400);
    expect(form.json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect((await upload(ws.adminToken, '/api/v1/imports?kind=members', '')).json()).toMatchObject({ error: { code: 'invalid_request' } });
    expect((await app.inject({ method: 'POST', url: '/api/v1/imports?kind=members', headers: { 'content-type': 'text/csv' }, payload: MEMBERS })).statusCode).toBe(401);

    const mine = (await upload(ws.adminToken, '/api/v1/imports?kind=members', MEMBERS)).json<ImportJob>();
    await finished(ws.id, mine.id);
    const theirs = await app.inject({ method: 'GET', url: `/api/v1/imports/${mine.id}`, headers: bearer(other.adminToken) });
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await app.inject({ method: 'GET', url: `/api/v1/imports/${mine.id}/rejects`, headers: bearer(other.adminToken) })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/v1/imports/imp_nope', headers: bearer(ws.adminToken) })).statusCode).toBe(404);

    const signIn = async (role: 'analyst' | 'operator') => {
      const email = uniqueEmail(role);
      await createUser(ctx.database.db, ws.id, { email, password: `${role}-pass`, role });
      const res = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: `${role}-pass` } });
      return String(res.headers['set-cookie']).split(';')[0]!;
    };
    const analyst = await signIn('analyst');
    expect((await app.inject({ method: 'GET', url: `/api/v1/imports/${mine.id}`, headers: { cookie: analyst } })).json()).toMatchObject({ error: { code: 'forbidden' } });
    expect((await app.inject({ method: 'POST', url: '/api/v1/imports?kind=members', headers: { cookie: analyst, 'content-type': 'text/csv' }, payload: MEMBERS })).statusCode).toBe(403);
    const operator = await signIn('operator');
    const byOperator = await app.inject({ method: 'POST', url: '/api/v1/imports?kind=members', headers: { cookie: operator, 'content-type': 'text/csv' }, payload: MEMBERS });
    expect(byOperator.statusCode).toBe(202);
    await finished(ws.id, byOperator.json<ImportJob>().id);
    expect((await app.inject({ method: 'GET', url: `/api/v1/imports/${byOperator.json<ImportJob>().id}`, headers: { cookie: operator } })).json()).toMatchObject({ status: 'done' });
  });

  it('refuses an upload over the size limit and keeps nothing of it', async () => {
    const ws = await newWorkspace(ctx.database);
    await expect(startImport(ctx.database, ws.id, { kind: 'members', body: Readable.from([Buffer.from(MEMBERS)]), maxBytes: 20 })).rejects.toMatchObject({ code: 'payload_too_large' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/imports', headers: bearer(ws.adminToken) })).json()).toEqual({ data: [] });
  });

  it('documents the import routes in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>();
    expect(Object.keys(doc.paths['/api/v1/imports'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(doc.paths['/api/v1/imports/{id}']).toHaveProperty('get');
    expect(doc.paths['/api/v1/imports/{id}/rejects']).toHaveProperty('get');
  });
});
