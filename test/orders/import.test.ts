import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { profileOf, timeline } from '../support/ingest.js';
import { applyImportChunk, runImport } from '../../src/modules/importer/index.js';

const tmp = (name: string, lines: string[]) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-orders-import-')), name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
};
const HEADER = 'order_id,member_no,status,total_amount,refunded_amount,ordered_at,sku,quantity,price';

describeEachDatabase('orders: bulk import', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());
  const run = (workspaceId: string, file: string, chunkSize = 2000) =>
    runImport({ kind: 'orders', file, chunkSize, apply: (records) => applyImportChunk(ctx.database, workspaceId, 'orders', records) });
  const read = async (token: string, orderId: string) => (await app.inject({ method: 'GET', url: `/api/v1/orders/${orderId}`, headers: bearer(token) })).json();
  const rejects = (file: string | null) => (file ? fs.readFileSync(file, 'utf8') : '');
  const points = async (workspaceId: string) =>
    (await sql<{ total: number | null }>`SELECT sum(points)::int AS total FROM points_entries WHERE workspace_id = ${workspaceId}`.execute(ctx.database.db)).rows[0]!.total ?? 0;

  it('an order split across distant lines: the stray row is rejected, whatever the chunk size, and a re-run changes nothing', async () => {
    const file = tmp('split.csv', [
      HEADER,
      'S-1,M1,paid,300,,2026-05-01 08:00,A,1,100',
      'S-2,M2,paid,50,,2026-05-01 09:00,X,1,50',
      'S-1,M1,paid,300,,2026-05-01 08:00,B,2,100',
    ]);
    for (const chunkSize of [2000, 2]) {
      const ws = await newWorkspace(ctx.database);
      const first = await run(ws.id, file, chunkSize);
      expect(first).toMatchObject({ rows: 3, imported: 2, rejected: 1 });
      expect(rejects(first.rejectsFile)).toMatch(/^line,reason\n4,"order S-1: its rows must be together/);
      expect((await read(ws.adminToken, 'S-1')).items).toMatchObject([{ sku: 'A', quantity: 1 }]);
      expect(await run(ws.id, file, chunkSize)).toMatchObject({ imported: 0, unchanged: 2, rejected: 1 });
    }
  });

  it("an order whose rows contradict each other is rejected whole; rows that leave the order's columns empty are fine", async () => {
    const ws = await newWorkspace(ctx.database);
    const file = tmp('disagree.csv', [
      HEADER,
      'D-1,M1,paid,300,,2026-05-01 08:00,A,1,100',
      'D-1,M1,refunded,300,,2026-05-01 08:00,B,2,100',
      'D-2,M2,paid,300.00,,2026-05-01 08:00,A,1,100',
      'D-2,,,300,,,B,2,100',
      'D-3,M3,paid,300,,2026-05-01 08:00,A,1,100',
      'D-3,M4,paid,300,,2026-05-01 08:00,B,2,100',
    ]);
    // Columns the importer does not read may differ from row to row (a barcode per item).
    const other = tmp('other.csv', [`${HEADER},barcode`, 'D-4,M5,paid,300,,2026-05-01 08:00,A,1,100,6901', 'D-4,M5,paid,300,,2026-05-01 08:00,B,2,100,6902']);
    const summary = await run(ws.id, file);
    expect(summary).toMatchObject({ rows: 6, imported: 1, rejected: 2 });
    expect(rejects(summary.rejectsFile)).toBe([
      'line,reason',
      '2,"order D-1: status is ""refunded"" on line 3 but ""paid"" on line 2: the rows of one order must agree on its order columns"',
      '6,"order D-3: member_no is ""M4"" on line 7 but ""M3"" on line 6: the rows of one order must agree on its order columns"',
      '',
    ].join('\n'));
    expect(await read(ws.adminToken, 'D-2')).toMatchObject({ status: 'paid', items: [{ sku: 'A' }, { sku: 'B', quantity: 2 }] });
    expect((await app.inject({ method: 'GET', url: '/api/v1/orders/D-1', headers: bearer(ws.adminToken) })).statusCode).toBe(404);
    expect(await run(ws.id, other)).toMatchObject({ imported: 1, rejected: 0 });
  });

  it('a refund file after the orders file refunds them, keeps their items, and neither file undoes the other on a re-run', async () => {
    const ws = await newWorkspace(ctx.database);
    const orders = tmp('orders.csv', [HEADER, 'F-1,M9,paid,300,,2026-05-01 08:00,A,1,100', 'F-1,M9,paid,300,,2026-05-01 08:00,B,2,100', 'F-2,M9,paid,100,,2026-05-02 08:00,C,1,100']);
    const refunds = tmp('refunds.csv', ['order_id,member_no,status,total_amount,refunded_amount,ordered_at,refunded_at', 'F-1,M9,partially_refunded,300,100,2026-05-01 08:00,2026-05-03 10:00', 'F-2,M9,refunded,100,,2026-05-02 08:00,2026-05-03 11:00']);
    expect(await run(ws.id, orders)).toMatchObject({ imported: 2, rejected: 0 });
    expect(await points(ws.id)).toBe(400);
    expect(await run(ws.id, refunds)).toMatchObject({ imported: 2, rejected: 0 });
    expect(await read(ws.adminToken, 'F-1')).toMatchObject({ status: 'partially_refunded', refundedAmount: 100, items: [{ sku: 'A' }, { sku: 'B' }] });
    expect(await read(ws.adminToken, 'F-2')).toMatchObject({ status: 'refunded', refundedAmount: 100, refundedAt: '2026-05-03T03:00:00.000Z', items: [{ sku: 'C' }] });
    expect(await points(ws.id)).toBe(200);

    expect(await run(ws.id, orders)).toMatchObject({ imported: 0, unchanged: 2 });
    expect(await run(ws.id, refunds)).toMatchObject({ imported: 0, unchanged: 2 });
    expect(await read(ws.adminToken, 'F-2')).toMatchObject({ status: 'refunded' });
    expect(await points(ws.id)).toBe(200);

    // The member's timeline: both orders as they stand now, each fact once.
    const member = await profileOf(app, ws.adminToken, 'member_no', 'M9');
    const entries = await timeline(app, ws.adminToken, member.id);
    expect(entries.filter((e) => e.kind === 'order').map((e) => [e.id, e.event])).toEqual([['F-2', 'refunded'], ['F-1', 'partially_refunded']]);
    expect(entries.filter((e) => e.kind === 'event').map((e) => e.event).sort()).toEqual(['Order Completed', 'Order Completed', 'Order Refunded', 'Order Refunded']);
  });

  it('JSON lines: versions of an order on distant lines apply in file order', async () => {
    const ws = await newWorkspace(ctx.database);
    const order = (extra: Record<string, unknown>) => JSON.stringify({ orderId: 'J-1', customer: { userId: 'j' }, totalAmount: 300, orderedAt: '2026-05-01T08:00:00+08:00', items: [{ sku: 'A', quantity: 3, price: 100 }], ...extra });
    const file = tmp('orders.jsonl', [order({}), JSON.stringify({ orderId: 'J-2', customer: { userId: 'k' }, totalAmount: 1, orderedAt: '2026-05-01' }), order({ status: 'refunded' }), order({})]);
    for (const chunkSize of [2000, 1]) expect(await run(ws.id, file, chunkSize)).toMatchObject({ rejected: 0 });
    expect(await read(ws.adminToken, 'J-1')).toMatchObject({ status: 'refunded', refundedAmount: 300, items: [{ sku: 'A', quantity: 3 }] });
  });
});
