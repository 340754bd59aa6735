import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { applyImportChunk, runImport, type ImportKind } from '../../src/modules/importer/index.js';
import { getOrder } from '../../src/modules/orders/index.js';

describeEachDatabase('importing refunds', (ctx) => {
  const file = (name: string, lines: string[]) => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-refunds-')), name);
    fs.writeFileSync(f, `${lines.join('\n')}\n`);
    return f;
  };
  const run = (workspaceId: string, kind: ImportKind, f: string, opts: { chunkSize?: number; dryRun?: boolean } = {}) =>
    runImport({ kind, file: f, chunkSize: opts.chunkSize ?? 2000, apply: (records) => applyImportChunk(ctx.database, workspaceId, kind, records, { dryRun: opts.dryRun }) });

  it('applies a shop\'s refund export to stored orders once, item rows together, each bad refund on its own line', async () => {
    const ws = await newWorkspace(ctx.database);
    await run(ws.id, 'orders', file('orders.csv', [
      'order_id,member_no,status,total_amount,ordered_at,sku,quantity,price',
      'R1,M1,paid,300,2026-03-01 10:00,A,2,100', 'R1,M1,paid,300,2026-03-01 10:00,B,1,100',
      'R2,M1,paid,50,2026-03-01 11:00,C,1,50',
    ]));
    const refunds = file('退款单.csv', [
      '退款单号,订单号,退款金额,退款时间,商品编码,退款数量',
      'T1,R1,¥200.00,2026-03-05 09:30,A,1', 'T1,R1,¥200.00,2026-03-05 09:30,B,1', // one refund of two items
      'T2,R2,50元,2026-03-06 10:00,,', // the whole of R2, no items
      'T3,R404,10,2026-03-06 10:00,,', // no such order
      'T4,R1,500,2026-03-06 10:00,,', // more than is left
      'T5,R1,abc,2026-03-06 10:00,,', // not an amount
    ]);
    const checked = await run(ws.id, 'refunds', refunds, { dryRun: true });
    expect(checked).toMatchObject({ rows: 6, imported: 2, unchanged: 0, rejected: 3 }); // as the import below: the stored orders are seen
    expect(await getOrder(ctx.database.db, ws.id, 'R1')).toMatchObject({ status: 'paid', refundedAmount: 0 });

    const first = await run(ws.id, 'refunds', refunds, { chunkSize: 1 });
    expect(first).toMatchObject({ rows: 6, imported: 2, unchanged: 0, rejected: 3 });
    const reasons = fs.readFileSync(first.rejectsFile!, 'utf8').trim().split('\n').slice(1);
    expect(reasons.map((r) => r.split(',')[0])).toEqual(['5', '6', '7']);
    expect(reasons[0]).toContain('refund T3 of order R404: order R404 not found');
    expect(reasons[1]).toContain('more than the 300 paid');
    expect(reasons[2]).toContain('refund T5 of order R1');
    const r1 = await getOrder(ctx.database.db, ws.id, 'R1');
    expect(r1).toMatchObject({ status: 'partially_refunded', refundedAmount: 200, refundedAt: new Date('2026-03-05T01:30:00.000Z') });
    expect(r1.items.map((i: { sku: string; refundedQuantity: number }) => [i.sku, i.refundedQuantity])).toEqual([['A', 1], ['B', 1]]);
    expect(await getOrder(ctx.database.db, ws.id, 'R2')).toMatchObject({ status: 'refunded', refundedAmount: 50 });

    const again = await run(ws.id, 'refunds', refunds);
    expect(again).toMatchObject({ imported: 0, unchanged: 2, rejected: 3 });
    expect(await getOrder(ctx.database.db, ws.id, 'R1')).toMatchObject({ refundedAmount: 200 });
  });

  it('takes JSON lines as the refunds API does', async () => {
    const ws = await newWorkspace(ctx.database);
    await run(ws.id, 'orders', file('orders.jsonl', [JSON.stringify({ orderId: 'J1', customer: { userId: 'u1' }, status: 'paid', totalAmount: 80, orderedAt: '2026-03-01T10:00:00+08:00' })]));
    const summary = await run(ws.id, 'refunds', file('refunds.jsonl', [JSON.stringify({ orderId: 'J1', refundId: 'JR1', amount: 30, refundedAt: '2026-03-02T10:00:00+08:00' })]));
    expect(summary).toMatchObject({ imported: 1, rejected: 0 });
    expect(await getOrder(ctx.database.db, ws.id, 'J1')).toMatchObject({ status: 'partially_refunded', refundedAmount: 30 });
  });
});
