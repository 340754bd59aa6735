import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { applyImportChunk, runImport, type ImportKind } from '../../src/modules/importer/index.js';
import { getOrder } from '../../src/modules/orders/index.js';
import { lookupProfile } from '../../src/modules/profiles/index.js';

const tmp = (name: string, content: string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-import-')), name);
  fs.writeFileSync(file, content);
  return file;
};

describeEachDatabase('bulk import', (ctx) => {
  const run = (workspaceId: string, kind: ImportKind, file: string) =>
    runImport({ kind, file, chunkSize: 2, apply: (records) => applyImportChunk(ctx.database, workspaceId, kind, records) });

  it('rejects a row holding a NUL character (which the database cannot store) and imports the rest', async () => {
    const ws = await newWorkspace(ctx.database);
    const members = tmp('members.csv', ['member_no,name,phone', 'N1,王芳,13800000011', 'N2,bad\u0000name,13800000012', 'N3,李娜,13800000013', 'N\u00004,x,13800000014'].join('\n'));
    const m = await run(ws.id, 'members', members);
    expect(m).toMatchObject({ rows: 4, imported: 2, rejected: 2 });
    expect(fs.readFileSync(m.rejectsFile!, 'utf8')).toMatch(/^line,reason\n3,"name holds a NUL character[^\n]*\n5,"member_no holds a NUL character/);
    expect((await lookupProfile(ctx.database.db, ws.id, 'member_no', 'N3')).traits).toMatchObject({ name: '李娜' });
    const orders = tmp(
      'orders.csv',
      ['order_id,member_no,status,total_amount,ordered_at,sku,quantity,price', 'O-N1,N1,paid,10,2026-01-01T00:00:00Z,S1,1,10', 'O-N2,N1,paid,10,2026-01-01T00:00:00Z,S\u00001,1,10', 'O-N3,N3,paid,10,2026-01-01T00:00:00Z,S1,1,10'].join('\n'),
    );
    const o = await run(ws.id, 'orders', orders);
    expect(o).toMatchObject({ rows: 3, imported: 2, rejected: 1 });
    expect(fs.readFileSync(o.rejectsFile!, 'utf8')).toMatch(/^line,reason\n3,"items\[0\]\.sku holds a NUL character/);
  });

  it('imports good member rows, rejects bad ones with line and reason, and changes nothing on a re-run', async () => {
    const ws = await newWorkspace(ctx.database);
    const file = tmp(
      'members.csv',
      [
        'member_no,name,phone,email,city,joined_at',
        'M1,王芳,13800000001,wang@example.cn,上海,2026-01-05',
        'M2,李娜,13800000002,,杭州,2026-02-01',
        ',无名,,,北京,2026-03-01', // no identifier
        'M4,张伟,12345,,北京,2026-03-02', // phone is not a phone
        'M5,"刘,洋",13800000005,,"深圳",not-a-date',
        'M6,陈静,13800000006,,,2026-04-01',
      ].join('\n'),
    );
    const first = await run(ws.id, 'members', file);
    expect(first).toMatchObject({ rows: 6, imported: 3, unchanged: 0, rejected: 3 });
    const rejects = fs.readFileSync(first.rejectsFile!, 'utf8').trim().split('\n');
    expect(rejects[0]).toBe('line,reason');
    expect(rejects.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([4, 5, 6]);
    expect(rejects[1]).toContain('no identifier');
    expect(rejects[3]).toContain('joined_at');

    const wang = await lookupProfile(ctx.database.db, ws.id, 'member_no', 'M1');
    expect(wang.traits).toMatchObject({ name: '王芳', city: '上海' });
    expect(wang.identifiers.map((i) => i.type).sort()).toEqual(['email', 'member_no', 'phone']);

    const again = await run(ws.id, 'members', file);
    expect(again).toMatchObject({ rows: 6, imported: 0, unchanged: 3, rejected: 3 });
  });

  it('groups CSV item rows into orders and imports JSON lines; a re-run changes nothing', async () => {
    const ws = await newWorkspace(ctx.database);
    const csv = tmp(
      'orders.csv',
      [
        'order_id,member_no,store_id,channel,status,total_amount,ordered_at,sku,item_name,category,quantity,price',
        'O1,M1,store-1,store,paid,497,2026-05-01T10:00:00Z,SERUM,精华液,skincare,1,398',
        'O1,M1,store-1,store,paid,497,2026-05-01T10:00:00Z,MASK,面膜,mask,1,99',
        'O1,M1,store-1,store,paid,497,2026-05-01T10:00:00Z,LIP,口红,makeup,1,0',
        'O2,M2,,tmall,paid,-3,2026-05-02T10:00:00Z,MASK,面膜,mask,1,99',
        'O3,M2,,tmall,refunded,99,2026-05-03T10:00:00Z,MASK,面膜,mask,1,99',
      ].join('\n'),
    );
    const first = await run(ws.id, 'orders', csv);
    expect(first).toMatchObject({ imported: 2, rejected: 1 });
    expect(fs.readFileSync(first.rejectsFile!, 'utf8')).toContain('5,"totalAmount');
    const o1 = await getOrder(ctx.database.db, ws.id, 'O1');
    expect(o1.items.map((i) => i.sku)).toEqual(['SERUM', 'MASK', 'LIP']);
    expect((await run(ws.id, 'orders', csv)).imported).toBe(0);

    const jsonl = tmp(
      'orders.jsonl',
      `${JSON.stringify({ orderId: 'J1', customer: { phone: '13800000001' }, totalAmount: 10, orderedAt: '2026-06-01T00:00:00Z' })}\n{not json}\n`,
    );
    const j = await run(ws.id, 'orders', jsonl);
    expect(j).toMatchObject({ imported: 1, rejected: 1 });
    expect(fs.readFileSync(j.rejectsFile!, 'utf8')).toContain('2,"malformed JSON');
  });
});
