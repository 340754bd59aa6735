import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { applyImportChunk, runImport, type ImportKind } from '../../src/modules/importer/index.js';
import { amount, orderStatus } from '../../src/modules/importer/columns.js';
import { getOrder } from '../../src/modules/orders/index.js';
import { lookupProfile } from '../../src/modules/profiles/index.js';

describe('cells as Chinese exports write them', () => {
  it.each([
    ['¥1,298.00', 1298], ['￥398', 398], ['398元', 398], ['RMB 398.5', 398.5], ['1,298.00', 1298], ['12,34', '12,34'], ['abc', 'abc'], ['', undefined],
  ])('amount %j is %j', (cell, value) => expect(amount(cell)).toBe(value));

  it.each([
    ['已付款', 'paid'], ['交易成功', 'paid'], ['待付款', 'pending'], ['部分退款', 'partially_refunded'], ['已退款', 'refunded'], ['交易关闭', 'cancelled'], ['Paid', 'paid'], ['挂起', '挂起'],
  ])('status %s is %s', (cell, status) => expect(orderStatus(cell)).toBe(status));
});

describeEachDatabase('importing Chinese shop and CRM exports', (ctx) => {
  const file = (name: string, lines: string[]) => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-cn-')), name);
    fs.writeFileSync(f, `${lines.join('\n')}\n`);
    return f;
  };
  const run = (workspaceId: string, kind: ImportKind, f: string, chunkSize = 2000) =>
    runImport({ kind, file: f, chunkSize, apply: (records) => applyImportChunk(ctx.database, workspaceId, kind, records) });

  it('reads a member file with Chinese headers: identifiers, join time and the platform\'s own traits', async () => {
    const ws = await newWorkspace(ctx.database);
    const summary = await run(ws.id, 'members', file('会员.csv', [
      '会员卡号,手机号,姓名,性别,生日,城市,注册时间,肤质',
      'VIP001,13800138001,王芳,女,1990-05-01,上海,2026-01-05 10:00,干性',
      'VIP002,13800138002,李强,男,1988-11-11,北京,2026年2月1日,油性',
    ]));
    expect(summary).toMatchObject({ rows: 2, imported: 2, rejected: 0 });
    const wang = await lookupProfile(ctx.database.db, ws.id, 'phone', '13800138001');
    expect(wang.traits).toMatchObject({ name: '王芳', gender: 'female', birthday: '1990-05-01', city: '上海', joined_at: '2026-01-05T02:00:00.000Z', 肤质: '干性' });
    expect((await lookupProfile(ctx.database.db, ws.id, 'member_no', 'VIP002')).traits).toMatchObject({ gender: 'male', joined_at: '2026-01-31T16:00:00.000Z' });
  });

  it('reads an order export with Chinese headers, statuses and amounts, keeping an order\'s rows together across chunks', async () => {
    const ws = await newWorkspace(ctx.database);
    const head = '订单号,会员卡号,订单状态,订单金额,实付金额,退款金额,下单时间,付款时间,门店编号,商品编码,商品名称,数量,单价';
    const summary = await run(ws.id, 'orders', file('订单.csv', [
      head,
      'E1001,VIP001,交易成功,"¥1,298.00","¥1,298.00",,2026-03-01 20:15:00,2026-03-01 20:16:00,store-sh,LJ-SERUM-30,精华液,2,"¥599.00"',
      'E1001,VIP001,交易成功,"¥1,298.00","¥1,298.00",,2026-03-01 20:15:00,2026-03-01 20:16:00,store-sh,LJ-MASK-05,面膜,1,¥100',
      'E1002,VIP001,部分退款,398元,398元,100元,2026-03-02 09:00:00,2026-03-02 09:01:00,store-sh,LJ-TONER,爽肤水,1,398',
      'E1003,VIP001,交易关闭,¥88,,,2026-03-03 09:00:00,,store-sh,LJ-LIP,唇膏,1,88',
    ]), 1); // a chunk size of 1: an order's rows still go together
    expect(summary).toMatchObject({ rows: 4, imported: 3, rejected: 0 });
    const e1001 = await getOrder(ctx.database.db, ws.id, 'E1001');
    expect(e1001).toMatchObject({ status: 'paid', totalAmount: 1298, paidAt: new Date('2026-03-01T12:16:00.000Z') }); // Shanghai's 20:16
    expect(e1001.items.map((i: { sku: string; quantity: number; price: number }) => [i.sku, i.quantity, i.price])).toEqual([['LJ-SERUM-30', 2, 599], ['LJ-MASK-05', 1, 100]]);
    expect(await getOrder(ctx.database.db, ws.id, 'E1002')).toMatchObject({ status: 'partially_refunded', refundedAmount: 100 });
    expect(await getOrder(ctx.database.db, ws.id, 'E1003')).toMatchObject({ status: 'cancelled' });
  });
});
