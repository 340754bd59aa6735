import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { applyImportChunk, runImport, type ImportKind } from '../../src/modules/importer/index.js';
import { parseEncoding, sniffEncoding, type ImportEncoding } from '../../src/modules/importer/decode.js';
import { readRecords } from '../../src/modules/importer/read.js';
import type { Reject, SourceRecord } from '../../src/modules/importer/index.js';
import { lookupProfile } from '../../src/modules/profiles/index.js';

/** GBK bytes of the few Chinese characters these files use (from Python's codec); ASCII is itself. */
const GBK: Record<string, string> = {
  会: 'bbe1', 员: 'd4b1', 张: 'd5c5', 三: 'c8fd', 上: 'c9cf', 海: 'baa3', 李: 'c0ee', 四: 'cbc4', 北: 'b1b1', 京: 'bea9',
  王: 'cdf5', 芳: 'b7bc', 广: 'b9e3', 州: 'd6dd', '·': 'a1a4', 欧: 'c5b7', 阳: 'd1f4',
};
function gbk(text: string): Buffer {
  return Buffer.concat([...text].map((c) => (c.charCodeAt(0) < 0x80 ? Buffer.from(c, 'latin1') : Buffer.from(GBK[c] ?? '3f', 'hex'))));
}

const tmp = (name: string, content: Buffer | string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-encoding-')), name);
  fs.writeFileSync(file, content);
  return file;
};

async function readAll(file: string, format: 'csv' | 'jsonl', encoding?: ImportEncoding | 'auto') {
  const records: SourceRecord[] = [];
  const rejects: Reject[] = [];
  let chosen: string | undefined;
  for await (const r of readRecords(file, format, (x) => rejects.push(x), () => {}, { encoding, onEncoding: (e) => (chosen = e) })) records.push(r);
  return { records, rejects, encoding: chosen };
}

const GBK_MEMBERS = 'member_no,phone,name,city\nG1,13800001001,张三,上海\nG2,13800001002,李四,北京\nG3,13800001003,王芳·欧阳,广州\n';

describe('reading files in the encodings Chinese spreadsheets save', () => {
  it('reads a GBK file (Excel\'s "CSV" on Chinese Windows) as GB18030, and UTF-8 with or without its byte-order mark', async () => {
    const fromGbk = await readAll(tmp('members.csv', gbk(GBK_MEMBERS)), 'csv');
    expect(fromGbk.encoding).toBe('gb18030');
    expect(fromGbk.records.map((r) => r.record.name)).toEqual(['张三', '李四', '王芳·欧阳']);
    expect(fromGbk.records[2]).toEqual({ line: 4, record: { member_no: 'G3', phone: '13800001003', name: '王芳·欧阳', city: '广州' } });
    for (const bytes of [Buffer.from(GBK_MEMBERS), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(GBK_MEMBERS)])]) {
      const utf8 = await readAll(tmp('members.csv', bytes), 'csv');
      expect(utf8.encoding).toBe('utf-8');
      expect(utf8.records.map((r) => r.record)).toEqual(fromGbk.records.map((r) => r.record));
    }
  });

  it('decodes characters cut by the file\'s read chunks, in a GBK file far larger than one chunk', async () => {
    const rows = Array.from({ length: 6_000 }, (_, i) => `M${i},139${String(i).padStart(8, '0')},会员${i}张三,上海`);
    const { records, rejects, encoding } = await readAll(tmp('members.csv', gbk(['member_no,phone,name,city', ...rows, ''].join('\n'))), 'csv');
    expect(encoding).toBe('gb18030');
    expect(rejects).toEqual([]);
    expect(records).toHaveLength(6_000);
    expect(records.every((r, i) => r.record.name === `会员${i}张三` && r.line === i + 2)).toBe(true);
  });

  it('reads Excel\'s "Unicode text" (UTF-16 with its mark, tab-separated), and JSON lines behind a UTF-8 byte-order mark', async () => {
    const text = GBK_MEMBERS.replaceAll(',', '\t');
    const le = await readAll(tmp('members.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])), 'csv');
    expect(le.encoding).toBe('utf-16le');
    expect(le.records.map((r) => r.record.name)).toEqual(['张三', '李四', '王芳·欧阳']);
    const be = Buffer.from(text, 'utf16le').swap16();
    expect((await readAll(tmp('members.csv', Buffer.concat([Buffer.from([0xfe, 0xff]), be])), 'csv')).records.map((r) => r.record.city)).toEqual(['上海', '北京', '广州']);

    const jsonl = await readAll(tmp('members.jsonl', `\ufeff${JSON.stringify({ member_no: 'J1', name: '张三' })}\n`), 'jsonl');
    expect(jsonl).toMatchObject({ rejects: [], records: [{ line: 1, record: { member_no: 'J1', name: '张三' } }] });
  });

  it('refuses a spreadsheet workbook or a binary file with what to do, and a name it does not know', async () => {
    const xlsx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(200, 7)]);
    await expect(readAll(tmp('members.csv', xlsx), 'csv')).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('save it as "CSV UTF-8"') });
    const xls = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
    expect(() => sniffEncoding(xls, true)).toThrow(/spreadsheet workbook/);
    expect(() => sniffEncoding(Buffer.from([0x80, 0x00, 0xff, 0xfe, 0x00, 0x81]).subarray(0), true)).toThrow(/not text in UTF-8 or GB18030/);
    expect(parseEncoding('GBK')).toBe('gb18030');
    expect(parseEncoding('latin1')).toBe('windows-1252');
    expect(parseEncoding(undefined)).toBe('auto');
    expect(() => parseEncoding('shift_jis')).toThrow(/unknown encoding "shift_jis"/);
  });

  it('does not guess GBK for a Western file whose accented letters happen to read as GBK; named, it reads', async () => {
    // Each accented letter stands before a plain one, so the whole file is valid GBK; a comma after one would not be.
    const western = Buffer.from('member_no,name,city\nW1,Ren\xe9e M\xfcller,Z\xfcrich\nW2,S\xe9bastien,M\xe1laga\n', 'latin1');
    await expect(readAll(tmp('members.csv', western), 'csv')).rejects.toMatchObject({ message: expect.stringContaining('name its encoding (windows-1252') });
    // A GBK file with a rare character from GBK's extension (trail byte below 0x80) among common ones still reads.
    const rare = Buffer.concat([gbk(GBK_MEMBERS), Buffer.from('G4,13800001004,'), Buffer.from('8140', 'hex'), gbk('张三\n')]);
    expect((await readAll(tmp('members.csv', rare), 'csv')).encoding).toBe('gb18030');
  });

  it('reads Big5 and Windows-1252 files when named (never guessed: their bytes also read as GB18030)', async () => {
    const latin = await readAll(tmp('members.csv', Buffer.from('member_no,name\nW1,Ren\xe9e\n', 'latin1')), 'csv', 'windows-1252');
    expect(latin.records[0]?.record.name).toBe('Renée');
    // 'member_no,name\nB1,陳大文' in Big5 (Hong Kong and Taiwan exports).
    const big5 = Buffer.concat([Buffer.from('member_no,name\nB1,'), Buffer.from('b3afa46aa4e5', 'hex'), Buffer.from('\n')]);
    expect((await readAll(tmp('members.csv', big5), 'csv', 'big5')).records[0]?.record.name).toBe('陳大文');
  });

  it('keeps the chosen encoding: bytes not valid in it become U+FFFD (rejected later by the importer), never another text', async () => {
    // The first 64 KB are plain ASCII, so the sniff says UTF-8; the GBK name comes after.
    const rows = Array.from({ length: 3_000 }, (_, i) => `M${i},139${String(i).padStart(8, '0')},member${i}`);
    const file = tmp('members.csv', Buffer.concat([Buffer.from(['member_no,phone,name', ...rows, ''].join('\n')), gbk('G1,13800001001,张三\n')]));
    const auto = await readAll(file, 'csv');
    expect(auto.encoding).toBe('utf-8');
    expect(auto.records.at(-1)?.record.name).toContain('\uFFFD');
    const named = await readAll(file, 'csv', 'gb18030');
    expect(named.records.at(-1)).toEqual({ line: 3_002, record: { member_no: 'G1', phone: '13800001001', name: '张三' } });
  });
});

describeEachDatabase('importing files in other encodings', (ctx) => {
  const run = (workspaceId: string, kind: ImportKind, file: string, encoding?: string) =>
    runImport({ kind, file, encoding, chunkSize: 500, apply: (records) => applyImportChunk(ctx.database, workspaceId, kind, records) });

  it('imports a GBK member file with its Chinese names intact, and reports the encoding', async () => {
    const ws = await newWorkspace(ctx.database);
    const summary = await run(ws.id, 'members', tmp('members.csv', gbk(GBK_MEMBERS)));
    expect(summary).toMatchObject({ rows: 3, imported: 3, rejected: 0, encoding: 'gb18030' });
    expect((await lookupProfile(ctx.database.db, ws.id, 'member_no', 'G3')).traits).toMatchObject({ name: '王芳·欧阳', city: '广州' });
  });

  it('rejects, with line and field, rows whose bytes are not valid in the file\'s encoding, and imports the rest', async () => {
    const ws = await newWorkspace(ctx.database);
    const rows = Array.from({ length: 3_000 }, (_, i) => `E${i},139${String(i).padStart(8, '0')},member${i}`);
    const file = tmp('members.csv', Buffer.concat([Buffer.from(['member_no,phone,name', ...rows, ''].join('\n')), gbk('G1,13800001001,张三\nG2,13800001002,ok\n')]));
    const mixed = await run(ws.id, 'members', file);
    expect(mixed).toMatchObject({ rows: 3_002, imported: 3_001, rejected: 1, encoding: 'utf-8' });
    expect(fs.readFileSync(mixed.rejectsFile!, 'utf8')).toMatch(/^line,reason\n3002,"name holds bytes that are not valid text in the file's encoding/);
    await expect(lookupProfile(ctx.database.db, ws.id, 'member_no', 'G1')).rejects.toMatchObject({ code: 'not_found' });
    // Named, the same file's last rows are GBK and ASCII, and the row imports with its name (the rest is unchanged).
    const named = await run(ws.id, 'members', file, 'gbk');
    expect(named).toMatchObject({ imported: 1, unchanged: 3_001, rejected: 0, encoding: 'gb18030' });
    expect((await lookupProfile(ctx.database.db, ws.id, 'member_no', 'G1')).traits).toMatchObject({ name: '张三' });
  }, 120_000); // 3,000 rows on PGlite: seconds alone, over 30 s on a loaded CI machine

  it('rejects a whole order when one of its item rows is garbled', async () => {
    const ws = await newWorkspace(ctx.database);
    const head = 'order_id,member_no,status,total_amount,ordered_at,sku,name,quantity,price';
    const file = tmp('orders.csv', Buffer.concat([
      Buffer.from(`${head}\nO1,M1,paid,20,2026-01-01T00:00:00Z,S1,serum,1,10\n`),
      Buffer.from('O1,M1,paid,20,2026-01-01T00:00:00Z,S2,'), gbk('张三'), Buffer.from(',1,10\nO2,M1,paid,10,2026-01-01T00:00:00Z,S1,serum,1,10\n'),
    ]));
    const summary = await run(ws.id, 'orders', file, 'utf-8');
    expect(summary).toMatchObject({ imported: 1, rejected: 1 });
    expect(fs.readFileSync(summary.rejectsFile!, 'utf8')).toMatch(/^line,reason\n2,"items\[1\]\.name holds bytes that are not valid text/);
  });
});
