import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer } from '../support/app.js';
import { createWorkspace } from '../../src/modules/workspaces/index.js';
import { applyImportChunk, runImport } from '../../src/modules/importer/index.js';

let counter = 0;

describeEachDatabase('orders: times without an offset are the workspace time zone', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());
  // New York (UTC-4 in May, UTC-5 in January), whatever zone this process runs in.
  const workspace = () => createWorkspace(ctx.database.db, { name: `times-${process.pid}-${++counter}`, timezone: 'America/New_York' });
  const order = (orderId: string, extra: Record<string, unknown>) => ({ orderId, customer: { userId: `tz-${orderId}` }, totalAmount: 10, ...extra });
  const read = async (token: string, orderId: string) => (await app.inject({ method: 'GET', url: `/api/v1/orders/${orderId}`, headers: bearer(token) })).json();

  it('reads naive order and refund times in the workspace zone, and keeps given offsets', async () => {
    const ws = await workspace();
    const res = await app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: { orders: [
      order('TZ-1', { orderedAt: '2026-05-01 08:00:00', paidAt: '2026/05/01 08:05' }),
      order('TZ-2', { orderedAt: '2026-01-15', paidAt: '2026-01-15T09:30:00.5' }),
      order('TZ-3', { orderedAt: '2026-05-01T08:00:00+08:00', paidAt: '2026-05-01T00:01:00Z' }),
      order('TZ-8', { orderedAt: '2026年5月1日 08:00', paidAt: '2026.05.01 08:10' }),
    ] } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await read(ws.adminToken, 'TZ-1')).toMatchObject({ orderedAt: '2026-05-01T12:00:00.000Z', paidAt: '2026-05-01T12:05:00.000Z' });
    expect(await read(ws.adminToken, 'TZ-2')).toMatchObject({ orderedAt: '2026-01-15T05:00:00.000Z', paidAt: '2026-01-15T14:30:00.500Z' });
    expect(await read(ws.adminToken, 'TZ-3')).toMatchObject({ orderedAt: '2026-05-01T00:00:00.000Z', paidAt: '2026-05-01T00:01:00.000Z' });
    expect(await read(ws.adminToken, 'TZ-8')).toMatchObject({ orderedAt: '2026-05-01T12:00:00.000Z', paidAt: '2026-05-01T12:10:00.000Z' });

    const refund = await app.inject({ method: 'POST', url: '/api/v1/orders/TZ-1/refunds', headers: bearer(ws.adminToken), payload: { refundId: 'R', amount: 5, refundedAt: '2026-05-02 10:00' } });
    expect(refund.statusCode, refund.body).toBe(200);
    expect(await read(ws.adminToken, 'TZ-1')).toMatchObject({ refundedAt: '2026-05-02T14:00:00.000Z' });

    // A day the calendar does not have is refused, not rolled into the next month.
    const bad = await app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: order('TZ-4', { orderedAt: '2026-02-30 10:00' }) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: { code: 'invalid_request', details: [{ path: 'orders[0].orderedAt', message: 'expected a date, e.g. 2026-01-31 or 2026-01-31T08:00:00+08:00' }] } });
  });

  it('an imported file reads its naive times the same way', async () => {
    const ws = await workspace();
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-tz-')), 'orders.csv');
    fs.writeFileSync(file, ['order_id,user_id,total_amount,ordered_at,sku,quantity,price', 'TZ-5,u5,10,2026-05-01 08:00:00,A,1,10', 'TZ-6,u6,10,2026-02-30 08:00:00,A,1,10'].join('\n'));
    const summary = await runImport({ kind: 'orders', file, apply: (records) => applyImportChunk(ctx.database, ws.id, 'orders', records) });
    expect(summary).toMatchObject({ imported: 1, rejected: 1 });
    expect(fs.readFileSync(summary.rejectsFile!, 'utf8')).toMatch(/^line,reason\n3,"orderedAt: /);
    expect(await read(ws.adminToken, 'TZ-5')).toMatchObject({ orderedAt: '2026-05-01T12:00:00.000Z' });
  });

  it('a time a day or more in the future is refused (it would date points to then); a clock a little ahead is not', async () => {
    const ws = await workspace();
    const hour = 3_600_000;
    const at = (ms: number) => new Date(Date.now() + ms).toISOString();
    const post = (payload: unknown) => app.inject({ method: 'POST', url: '/api/v1/orders', headers: bearer(ws.adminToken), payload: payload as object });
    for (const [field, extra] of [['orderedAt', { orderedAt: at(48 * hour) }], ['paidAt', { orderedAt: at(-hour), paidAt: '2099-05-01T08:00:00+08:00' }]] as const) {
      const res = await post(order('TZ-F', extra));
      expect(res.statusCode, field).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: 'invalid_request', details: [{ path: `orders[0].${field}`, message: 'more than a day in the future' }] } });
    }
    expect((await post(order('TZ-7', { orderedAt: at(5 * 60_000) }))).statusCode).toBe(200);
    const refund = await app.inject({ method: 'POST', url: '/api/v1/orders/TZ-7/refunds', headers: bearer(ws.adminToken), payload: { refundId: 'R', amount: 1, refundedAt: at(72 * hour) } });
    expect(refund.statusCode).toBe(400);
    expect(refund.json()).toMatchObject({ error: { details: [{ path: 'body.refundedAt' }] } });
  });
});

