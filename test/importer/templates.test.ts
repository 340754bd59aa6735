import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { importFinished, type ImportJob } from '../../src/modules/importer/index.js';
import { getOrder } from '../../src/modules/orders/index.js';
import { lookupProfile } from '../../src/modules/profiles/index.js';

describeEachDatabase('import templates', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it.each(['zh-CN', 'en'] as const)('each template (%s) downloads for Excel and imports cleanly as it is: members, then orders, then refunds', async (lang) => {
    const ws = await newWorkspace(ctx.database);
    for (const kind of ['members', 'orders', 'refunds'] as const) {
      const res = await app.inject({ method: 'GET', url: `/api/v1/imports/templates/${kind}?lang=${lang}`, headers: bearer(ws.adminToken) });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(res.rawPayload.subarray(0, 3).toString('hex')).toBe('efbbbf');
      const disposition = String(res.headers['content-disposition']);
      expect(disposition).toContain(lang === 'en' ? `filename="${kind}-template.csv"` : "filename*=UTF-8''%E");
      const header = res.body.replace(/^\ufeff/, '').split('\r\n')[0]!;
      if (lang === 'zh-CN') expect(header).toMatch(/[\u4e00-\u9fff]/);
      else expect(header).toMatch(/^[a-z_,]+$/);
      const upload = await app.inject({
        method: 'POST',
        url: `/api/v1/imports?kind=${kind}&fileName=${kind}.csv`,
        headers: { ...bearer(ws.adminToken), 'content-type': 'text/csv' },
        payload: res.rawPayload,
      });
      expect(upload.statusCode, upload.body).toBe(202);
      const job = await importFinished(ws.id, upload.json<ImportJob>().id);
      expect(job, `${kind}: ${JSON.stringify(job)}`).toMatchObject({ status: 'done', rejected: 0, imported: 1 });
    }
    const member = await lookupProfile(ctx.database.db, ws.id, 'member_no', 'LJ900001');
    expect(member.traits).toMatchObject({ name: '王芳', gender: 'female', city: '上海', birthday: '1992-05-12' });
    expect(member.identifiers.map((i) => i.type).sort()).toEqual(['email', 'member_no', 'phone']);
    const order = await getOrder(ctx.database.db, ws.id, 'SO900001');
    expect(order).toMatchObject({ profileId: member.id, status: 'partially_refunded', paidAmount: 497, refundedAmount: 64 });
    expect(order.items.map((i) => [i.sku, i.quantity, i.refundedQuantity ?? 0])).toEqual([
      ['LJ-SERUM-30', 1, 0],
      ['LJ-MASK-5', 2, 1],
    ]);
  });

  it('names an unknown kind or language in a 400', async () => {
    const ws = await newWorkspace(ctx.database);
    const kind = await app.inject({ method: 'GET', url: '/api/v1/imports/templates/coupons', headers: bearer(ws.adminToken) });
    expect(kind.statusCode).toBe(400);
    expect(kind.json().error.details[0].path).toBe('params.kind');
    const lang = await app.inject({ method: 'GET', url: '/api/v1/imports/templates/members?lang=fr', headers: bearer(ws.adminToken) });
    expect(lang.statusCode).toBe(400);
  });
});
