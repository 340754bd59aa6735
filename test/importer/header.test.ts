import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { applyImportChunk, runImport, type ImportKind } from '../../src/modules/importer/index.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-header-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, text);
  return p;
};

describeEachDatabase('import: a header that cannot work is refused before any row', (ctx) => {
  it.each([
    ['members', 'name,city\n王芳,上海\n李娜,杭州\n', /^the header has no identifier column: a member file needs one of member_no \(会员卡号\), phone \(手机号\).*; its columns are name, city$/],
    ['members', 'member_no,name,name\nA1,王芳,李娜\n', /^the header names column "name" twice \(columns 2 and 3\): rename or remove one$/],
    ['orders', '会员卡号,实付金额\nA1,100\n', /^the header has no order number column \(order_id or 订单号\); its columns are 会员卡号, 实付金额$/],
    ['orders', '订单号,实付金额,下单时间\nSO1,100,2026-01-01 10:00\n', /^the header has no customer column: an order file needs one of member_no/],
    ['refunds', '订单号,退款金额\nSO1,10\n', /^the header has no refund_id or 退款单号 column; its columns are 订单号, 退款金额$/],
  ] as const)('%s: %j', async (kind, text, expected) => {
    const ws = await newWorkspace(ctx.database);
    const name = file(`${kind}-${Math.random().toString(36).slice(2)}.csv`, text);
    const run = runImport({ kind, file: name, apply: (records) => applyImportChunk(ctx.database, ws.id, kind as ImportKind, records) });
    await expect(run).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(expected) });
    const profiles = await ctx.database.db.selectFrom('profiles').select('id').where('workspace_id', '=', ws.id).execute();
    expect(profiles).toEqual([]);
  });

  it('an empty file is refused by name, not reported as 0 rows imported', async () => {
    const ws = await newWorkspace(ctx.database);
    const name = file('empty.csv', '');
    await expect(runImport({ kind: 'members', file: name, apply: (records) => applyImportChunk(ctx.database, ws.id, 'members', records) })).rejects.toMatchObject({
      code: 'invalid_request',
      message: 'the file is empty: a member file needs a header row and a row per member (CSV), or a JSON object per line',
    });
  });

  it('a header with a known identifier under any spelling passes', async () => {
    const ws = await newWorkspace(ctx.database);
    const name = file('ok.csv', '手机号,姓名\n13800000001,王芳\n');
    const summary = await runImport({ kind: 'members', file: name, apply: (records) => applyImportChunk(ctx.database, ws.id, 'members', records) });
    expect(summary).toMatchObject({ rows: 1, imported: 1, rejected: 0 });
  });
});
