import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { applyImportChunk, memberRowToMessage, runImport, storeMembers } from '../../src/modules/importer/index.js';
import { ingestMessages, storeMessages } from '../../src/modules/ingest/index.js';
import { lookupProfile } from '../../src/modules/profiles/index.js';
import { identitySnapshot } from './snapshot.js';

const tmp = (name: string, content: string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-bulk-')), name);
  fs.writeFileSync(file, content);
  return file;
};

/** Member rows as the CSV reader yields them, including values COPY's text format must escape. */
const ROWS: Array<Record<string, string>> = [
  { member_no: 'B1', phone: '13900000001', name: '王芳', city: '上海', joined_at: '2026-01-05T08:00:00Z' },
  { member_no: 'B2', phone: '+86 139-0000-0002', email: 'Li.Na@Example.cn', name: 'tab\there', note: 'line\nbreak \\N back\\slash "quoted" 😀', joined_at: '2026-02-01' },
  { user_id: 'u-b3', anonymous_id: 'anon-b3', wechat_openid: 'oB3', wechat_unionid: 'uB3', name: '张伟', tier: '金卡' }, // no time column: the chunk's clock
  { phone: '13900000004', name: 'only a phone', joined_at: '2025-12-31T23:59:59.999Z' },
  { member_no: 'B5', mobile: '13900000005', openid: 'oB5', external_userid: 'wB5', joined_at: '2026-03-03T03:03:03Z', '\\weird key': 'x\ty' },
];

describeEachDatabase('member import: bulk path', (ctx) => {
  const run = (workspaceId: string, file: string, chunkSize = 2, concurrency = 1) =>
    runImport({ kind: 'members', file, chunkSize, concurrency, apply: (records) => applyImportChunk(ctx.database, workspaceId, 'members', records) });

  it('writes exactly what the general path writes for new people (profiles, identifiers, links, events, change feed)', async () => {
    const receivedAt = new Date('2026-06-01T00:00:00Z');
    const messages = ROWS.map((record, i) => {
      const r = memberRowToMessage({ line: i + 2, record }, receivedAt);
      if (!('message' in r)) throw new Error(`row ${i} rejected: ${r.reject.reason}`);
      return r.message;
    });
    const bulk = await newWorkspace(ctx.database);
    const general = await newWorkspace(ctx.database);
    expect(await storeMembers(ctx.database, bulk.id, messages)).toEqual({ imported: ROWS.length, unchanged: 0, bulk: ROWS.length, conflicts: [] });
    expect(await storeMessages(ctx.database.db, general.id, messages)).toEqual({ accepted: ROWS.length, duplicates: 0 });
    const a = await identitySnapshot(ctx.database.db, bulk.id);
    expect(a.profiles).toHaveLength(ROWS.length);
    expect(a.events).toHaveLength(ROWS.length);
    expect(a).toEqual(await identitySnapshot(ctx.database.db, general.id));

    const b2 = await lookupProfile(ctx.database.db, bulk.id, 'email', 'li.na@example.cn');
    expect(b2.traits).toMatchObject({ name: 'tab\there', note: 'line\nbreak \\N back\\slash "quoted" 😀' });
    expect(b2.identifiers.map((i) => `${i.type}:${i.value}`).sort()).toEqual(['email:li.na@example.cn', 'member_no:B2', 'phone:+8613900000002']);
    // No invented anonymousId: the member number anchors the row.
    expect(a.identifiers.some((i) => i.includes('import:'))).toBe(false);
  });

  it('a re-run of the same file changes nothing', async () => {
    const ws = await newWorkspace(ctx.database);
    const header = ['member_no', 'phone', 'name', 'city', 'joined_at'];
    const lines = Array.from({ length: 40 }, (_, i) => [`R${i}`, `1370000${String(i).padStart(4, '0')}`, `会员${i}`, i % 2 ? '杭州' : '上海', `2026-01-${String((i % 28) + 1).padStart(2, '0')}`].join(','));
    const file = tmp('members.csv', [header.join(','), ...lines, 'R0,13700000000,会员0 改名,上海,2026-05-01'].join('\n'));
    const first = await run(ws.id, file, 7, 2);
    expect(first).toMatchObject({ rows: 41, imported: 41, unchanged: 0, rejected: 0 });
    expect((await lookupProfile(ctx.database.db, ws.id, 'member_no', 'R0')).traits.name).toBe('会员0 改名'); // newer row wins
    const before = await identitySnapshot(ctx.database.db, ws.id);
    expect(before.profiles).toHaveLength(40);
    const updatedAt = await ctx.database.db.selectFrom('profiles').select(['id', 'updated_at']).where('workspace_id', '=', ws.id).orderBy('id').execute();

    const again = await run(ws.id, file, 7, 2);
    expect(again).toMatchObject({ rows: 41, imported: 0, unchanged: 41, rejected: 0 });
    expect(await identitySnapshot(ctx.database.db, ws.id)).toEqual(before);
    expect(await ctx.database.db.selectFrom('profiles').select(['id', 'updated_at']).where('workspace_id', '=', ws.id).orderBy('id').execute()).toEqual(updatedAt);
  });

  it('mixes new and known people: known ones merge or conflict as OneID says, new ones are created in bulk', async () => {
    const ws = await newWorkspace(ctx.database);
    await ingestMessages(ctx.database.db, ws.id, [
      { type: 'identify', userId: 'u-1', traits: { phone: '13800000001', name: '旧名' }, timestamp: '2025-01-01T00:00:00Z', messageId: 'seed-1' },
      { type: 'identify', userId: 'u-9', traits: { phone: '13800000009' }, context: { externalIds: [{ type: 'member_no', id: 'M9' }] }, timestamp: '2025-01-01T00:00:00Z', messageId: 'seed-9' },
    ]);
    const u1 = await lookupProfile(ctx.database.db, ws.id, 'userId', 'u-1');
    const u9 = await lookupProfile(ctx.database.db, ws.id, 'userId', 'u-9');
    const file = tmp(
      'members.csv',
      [
        'member_no,phone,name,joined_at',
        'M1,13800000001,王芳,2026-01-05', // known phone: merges into u-1, newer name wins
        'M2,13800000002,李娜,2026-01-06', // new
        'M3,13800000009,赵敏,2026-01-07', // u-9's phone, but u-9 already has member number M9: conflict, no merge
        'M4,13800000004,周杰,2026-01-08', // new, but shares its phone with the next row
        'M5,13800000004,吴磊,2026-01-09', // same phone, another member number: conflict inside the file
        'M6,13800000006,陈静,2026-01-10', // new
      ].join('\n'),
    );
    const first = await run(ws.id, file, 3, 2);
    expect(first).toMatchObject({ rows: 6, imported: 6, unchanged: 0, rejected: 0 });

    const m1 = await lookupProfile(ctx.database.db, ws.id, 'member_no', 'M1');
    expect(m1.id).toBe(u1.id);
    expect(m1.traits).toMatchObject({ name: '王芳', phone: '13800000001' });
    expect(m1.identifiers.map((i) => i.type).sort()).toEqual(['member_no', 'phone', 'userId']);

    const m3 = await lookupProfile(ctx.database.db, ws.id, 'member_no', 'M3');
    expect(m3.id).not.toBe(u9.id);
    expect(m3.identifiers.map((i) => i.type)).toEqual(['member_no']);
    expect((await lookupProfile(ctx.database.db, ws.id, 'phone', '13800000009')).id).toBe(u9.id);
    expect(m3.conflicts.length).toBeGreaterThan(0);

    const m4 = await lookupProfile(ctx.database.db, ws.id, 'member_no', 'M4');
    const m5 = await lookupProfile(ctx.database.db, ws.id, 'member_no', 'M5');
    expect(m4.id).not.toBe(m5.id);
    expect(m4.identifiers.map((i) => i.type).sort()).toEqual(['member_no', 'phone']); // the earlier row keeps the phone
    expect(m5.identifiers.map((i) => i.type)).toEqual(['member_no']);

    for (const no of ['M2', 'M6']) {
      const p = await lookupProfile(ctx.database.db, ws.id, 'member_no', no);
      expect(p.identifiers.map((i) => i.type).sort()).toEqual(['member_no', 'phone']);
    }
    const snap = await identitySnapshot(ctx.database.db, ws.id);
    expect(snap.pending).toBe(0);
    // One identify event per member row: traits derive from events.
    expect(snap.events.filter((e) => e.includes('import:member:'))).toHaveLength(6);

    const again = await run(ws.id, file, 3, 2);
    expect(again).toMatchObject({ rows: 6, imported: 0, unchanged: 6 });
    expect(await identitySnapshot(ctx.database.db, ws.id)).toEqual(snap);
  });

  it('a row whose identifier another writer creates meanwhile falls back to the general path (PostgreSQL)', async () => {
    if (ctx.kind !== 'postgres') return; // PGlite has one connection: no other writer can interleave
    const ws = await newWorkspace(ctx.database);
    const other = await ctx.database.pool.connect();
    try {
      // Another writer, mid-transaction, has just created a person known by phone 13600000001.
      await other.query('BEGIN');
      const { rows } = await other.query<{ id: string; xid: string }>(
        `WITH p AS (INSERT INTO profiles (workspace_id, id, first_seen_at, last_seen_at) VALUES ($1, nextval('profile_id_seq'), now(), now()) RETURNING id)
         INSERT INTO identifiers (workspace_id, type, value, first_seen_at, profile_id, origin_profile_id)
         SELECT $1, 'phone', '+8613600000001', now(), id, id FROM p RETURNING profile_id AS id, txid_current()::text AS xid`,
        [ws.id],
      );
      const theirs = Number(rows[0]!.id);
      const records = [
        { line: 2, record: { member_no: 'C1', phone: '13600000001', name: '钱多多', joined_at: '2026-01-01' } },
        { line: 3, record: { member_no: 'C2', phone: '13600000002', name: '孙悟', joined_at: '2026-01-02' } },
      ];
      const applying = applyImportChunk(ctx.database, ws.id, 'members', records);
      // Wait until the import is blocked on the other writer's uncommitted identifier, then let that writer commit.
      for (let waited = 0; ; waited += 50) {
        const blocked = await ctx.database.pool.query(`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted AND transactionid::text = $1`, [rows[0]!.xid]);
        if (blocked.rows[0].n > 0) break;
        if (waited > 10_000) throw new Error('the import never waited on the other writer');
        await new Promise((r) => setTimeout(r, 50));
      }
      await other.query('COMMIT');
      expect(await applying).toMatchObject({ imported: 2, unchanged: 0, rejects: [] });
      const c1 = await lookupProfile(ctx.database.db, ws.id, 'member_no', 'C1');
      expect(c1.id).toBe(theirs); // resolved against the other writer's person, not a duplicate
      expect(c1.traits).toMatchObject({ name: '钱多多' });
      expect((await lookupProfile(ctx.database.db, ws.id, 'member_no', 'C2')).identifiers).toHaveLength(2);
      const orphans = await ctx.database.pool.query(
        `SELECT count(*)::int AS n FROM profiles p WHERE p.workspace_id = $1 AND p.merged_into IS NULL
         AND NOT EXISTS (SELECT 1 FROM identifiers i WHERE i.workspace_id = p.workspace_id AND i.profile_id = p.id)`,
        [ws.id],
      );
      expect(orphans.rows[0].n).toBe(0);
      expect((await identitySnapshot(ctx.database.db, ws.id)).identifiers).toHaveLength(4);
    } finally {
      await other.query('ROLLBACK').catch(() => {});
      other.release();
    }
  });
});
