import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { applyImportChunk, runImport, type ImportKind } from '../../src/modules/importer/index.js';
import { lookupProfile } from '../../src/modules/profiles/index.js';
import { identitySnapshot } from './snapshot.js';

/** GBK bytes of every character GBK has, from the platform's own decoder (Node has no GBK encoder). */
const GBK_BYTES = (() => {
  const map = new Map<string, Buffer>();
  const decoder = new TextDecoder('gbk', { fatal: true });
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      const bytes = Buffer.from([lead, trail]);
      try {
        const c = decoder.decode(bytes);
        if (!map.has(c)) map.set(c, bytes);
      } catch {
            // not a character
      }
    }
  }
  return map;
})();
function gbk(text: string): Buffer {
  return Buffer.concat([...text].map((c) => (c.charCodeAt(0) < 0x80 ? Buffer.from(c, 'latin1') : (GBK_BYTES.get(c) ?? Buffer.from('?')))));
}

/**
 * Re-running a file changes nothing, also for what Excel on Chinese Windows saves: GBK bytes (so ￥, not ¥, which GBK lacks), Chinese headers,
 * statuses and amounts, times in the brand's zone; larger than the 64 KB the encoding is judged on (so decoded as it
 * streams, characters cut between reads), and re-run with another chunk size.
 */
describeEachDatabase('re-running a GBK export with Chinese headers', (ctx) => {
  const file = (name: string, lines: string[]) => {
    const f = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-rerun-')), name);
    fs.writeFileSync(f, gbk(`${lines.join('\r\n')}\r\n`));
    return f;
  };
  const run = (workspaceId: string, kind: ImportKind, f: string, chunkSize: number) =>
    runImport({ kind, file: f, chunkSize, apply: (records) => applyImportChunk(ctx.database, workspaceId, kind, records) });
  const stored = async (workspaceId: string) => {
    const db = ctx.database.db;
    return {
      identity: await identitySnapshot(db, workspaceId),
      profiles: await db.selectFrom('profiles').select(['id', 'updated_at']).where('workspace_id', '=', workspaceId).orderBy('id').execute(),
      orders: await db.selectFrom('orders').selectAll().where('workspace_id', '=', workspaceId).orderBy('order_id').execute(),
      items: await db.selectFrom('order_items').selectAll().where('workspace_id', '=', workspaceId).orderBy('order_id').orderBy('line').execute(),
    };
  };

  it('members then orders: the second run reports every row unchanged and stores nothing new', async () => {
    const ws = await newWorkspace(ctx.database);
    const cities = ['上海', '北京', '广州', '深圳', '杭州'];
    const members = ['会员卡号,手机号,姓名,性别,城市,注册时间,肤质'];
    for (let i = 0; i < 1200; i++) {
      members.push(`VIP${i},138${String(i).padStart(8, '0')},会员${i}号·欧阳,${i % 2 ? '男' : '女'},${cities[i % 5]},2026年1月${(i % 28) + 1}日 10:00,干性皮肤`);
    }
    members.push(',,无名氏,女,上海,2026-01-01,'); // no identifier: rejected both times
    const orders = ['订单号,会员卡号,订单状态,订单金额,实付金额,退款金额,下单时间,商品编码,商品名称,数量,单价'];
    for (let i = 0; i < 600; i++) {
      const status = i % 3 === 0 ? '部分退款' : '交易成功';
      orders.push(`E${i},VIP${i},${status},"￥1,298.00","￥1,298.00",${i % 3 === 0 ? '100元' : ''},2026-03-01 20:15:00,LJ-SERUM,精华液,2,￥599.00`);
      orders.push(`E${i},VIP${i},${status},"￥1,298.00","￥1,298.00",${i % 3 === 0 ? '100元' : ''},2026-03-01 20:15:00,LJ-MASK,面膜,1,￥100`);
    }
    const membersFile = file('会员.csv', members);
    const ordersFile = file('订单.csv', orders);
    expect(fs.statSync(membersFile).size).toBeGreaterThan(64 * 1024);
    expect(fs.statSync(ordersFile).size).toBeGreaterThan(64 * 1024);

    expect(await run(ws.id, 'members', membersFile, 500)).toMatchObject({ rows: 1201, imported: 1200, unchanged: 0, rejected: 1, encoding: 'gb18030' });
    expect(await run(ws.id, 'orders', ordersFile, 250)).toMatchObject({ rows: 1200, imported: 600, unchanged: 0, rejected: 0, encoding: 'gb18030' });
    expect((await lookupProfile(ctx.database.db, ws.id, 'member_no', 'VIP7')).traits).toMatchObject({ name: '会员7号·欧阳', city: '广州', 肤质: '干性皮肤' });
    const before = await stored(ws.id);

    expect(await run(ws.id, 'members', membersFile, 2000)).toMatchObject({ rows: 1201, imported: 0, unchanged: 1200, rejected: 1 });
    expect(await run(ws.id, 'orders', ordersFile, 2000)).toMatchObject({ rows: 1200, imported: 0, unchanged: 600, rejected: 0 });
    expect(await stored(ws.id)).toEqual(before);
  });
});
