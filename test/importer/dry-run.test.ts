import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { applyImportChunk, runImport, type ImportKind } from '../../src/modules/importer/index.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { getOrder } from '../../src/modules/orders/index.js';
import { identitySnapshot } from './snapshot.js';

/**
 * A dry run reports what the import would: rows against the stored data included (already imported: unchanged; an
 * identifier another profile holds: stored with an identity conflict; a refund of an unknown order or of more than
 * was paid: rejected), and writes nothing.
 */
describeEachDatabase('import dry run', (ctx) => {
  const file = (name: string, lines: string[]) => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-dry-')), name);
    fs.writeFileSync(f, `${lines.join('\n')}\n`);
    return f;
  };
  const run = (workspaceId: string, kind: ImportKind, f: string, dryRun = false, chunkSize = 2000) =>
    runImport({ kind, file: f, chunkSize, apply: (records) => applyImportChunk(ctx.database, workspaceId, kind, records, { dryRun }) });
  const outcome = (s: { rows: number; imported: number; unchanged: number; rejected: number; rejectsFile: string | null }) => ({
    rows: s.rows, imported: s.imported, unchanged: s.unchanged, rejected: s.rejected, rejects: s.rejectsFile ? fs.readFileSync(s.rejectsFile, 'utf8') : null,
  });
  const stored = async (workspaceId: string) => ({
    identity: await identitySnapshot(ctx.database.db, workspaceId),
    orders: await ctx.database.db.selectFrom('orders').select(['order_id', 'status', 'refunded_amount', 'updated_at']).where('workspace_id', '=', workspaceId).orderBy('order_id').execute(),
    refunds: await ctx.database.db.selectFrom('order_refunds').select(['order_id', 'refund_id']).where('workspace_id', '=', workspaceId).orderBy('refund_id').execute(),
  });

  it('members: rows already stored and rows that conflict with stored members come out as the real run has them', async () => {
    const ws = await newWorkspace(ctx.database);
    // Stored before: a member M9 with phone …09, and members M1 and M2 from an earlier import.
    await ingestMessages(ctx.database.db, ws.id, [
      { type: 'identify', userId: 'u-9', traits: { phone: '13800000009' }, context: { externalIds: [{ type: 'member_no', id: 'M9' }] }, timestamp: '2025-01-01T00:00:00Z', messageId: 'seed-9' },
    ]);
    const earlier = ['member_no,phone,name,joined_at', 'M1,13800000001,王芳,2026-01-05', 'M2,13800000002,李娜,2026-01-06'];
    expect(await run(ws.id, 'members', file('earlier.csv', earlier))).toMatchObject({ imported: 2, rejected: 0 });

    const rows = [
      ...earlier, // lines 2, 3: stored already, unchanged
      'M3,13800000009,赵敏,2026-01-07', // u-9's phone for another member number: an identity conflict
      'M9,13800000010,周杰,2026-01-08', // M9 with another phone than the one it has
      'M4,13800000004,陈静,2026-01-09', // new
      ',,无名,2026-01-10', // no identifier: rejected
    ];
    const f = file('members.csv', rows);
    const before = await stored(ws.id);
    const checked = outcome(await run(ws.id, 'members', f, true, 3));
    expect(await stored(ws.id)).toEqual(before); // the check wrote nothing
    const real = outcome(await run(ws.id, 'members', f, false, 3));
    expect(checked).toEqual(real);
    expect(real).toMatchObject({ rows: 6, imported: 3, unchanged: 2, rejected: 1 });
    expect((await stored(ws.id)).identity.conflicts.length).toBeGreaterThan(before.identity.conflicts.length); // the file does conflict

    // Checking it again now: everything is stored, as a re-run would find.
    expect(outcome(await run(ws.id, 'members', f, true, 3))).toMatchObject({ imported: 0, unchanged: 5, rejected: 1 });
  });

  it('orders and refunds: unchanged orders, refunds of unknown orders or of more than was paid, as the real run', async () => {
    const ws = await newWorkspace(ctx.database);
    const orders = file('orders.csv', [
      'order_id,member_no,status,total_amount,ordered_at,sku,quantity,price',
      'R1,M1,paid,300,2026-03-01 10:00,A,2,100', 'R1,M1,paid,300,2026-03-01 10:00,B,1,100',
      'R2,M1,paid,50,2026-03-01 11:00,C,1,50',
    ]);
    await run(ws.id, 'orders', orders);
    const more = file('more-orders.csv', [
      'order_id,member_no,status,total_amount,ordered_at,sku,quantity,price',
      'R1,M1,paid,300,2026-03-01 10:00,A,2,100', 'R1,M1,paid,300,2026-03-01 10:00,B,1,100', // stored: unchanged
      'R3,M1,paid,20,2026-03-02 10:00,D,1,20', // new
    ]);
    const refunds = file('退款单.csv', [
      '退款单号,订单号,退款金额,退款时间,商品编码,退款数量',
      'T1,R1,¥200.00,2026-03-05 09:30,A,1', 'T1,R1,¥200.00,2026-03-05 09:30,B,1',
      'T3,R404,10,2026-03-06 10:00,,', // no such order
      'T4,R1,500,2026-03-06 10:00,,', // more than is left after T1
    ]);
    const before = await stored(ws.id);
    const checkedOrders = outcome(await run(ws.id, 'orders', more, true));
    const checkedRefunds = outcome(await run(ws.id, 'refunds', refunds, true));
    expect(await stored(ws.id)).toEqual(before);
    expect(await getOrder(ctx.database.db, ws.id, 'R1')).toMatchObject({ status: 'paid', refundedAmount: 0 });

    const realOrders = outcome(await run(ws.id, 'orders', more));
    const realRefunds = outcome(await run(ws.id, 'refunds', refunds));
    expect(checkedOrders).toEqual(realOrders);
    expect(realOrders).toMatchObject({ imported: 1, unchanged: 1, rejected: 0 });
    expect(checkedRefunds).toEqual(realRefunds);
    expect(realRefunds).toMatchObject({ imported: 1, rejected: 2 });
    expect(realRefunds.rejects).toContain('order R404 not found');
  });
});
