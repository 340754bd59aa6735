import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { readRecords } from '../../src/modules/importer/read.js';
import type { Reject, SourceRecord } from '../../src/modules/importer/index.js';

const tmp = (name: string, content: string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-read-')), name);
  fs.writeFileSync(file, content);
  return file;
};

/** Reads a whole file the way the importer does, with a consumer that takes its time now and then (a chunk's write). */
async function readAll(file: string, format: 'csv' | 'jsonl', pause: () => Promise<unknown>) {
  const records: SourceRecord[] = [];
  const rejects: Reject[] = [];
  let bytes = 0;
  for await (const record of readRecords(file, format, (r) => rejects.push(r), (b) => (bytes = b))) {
    records.push(record);
    if (records.length % 1000 === 1) await pause();
  }
  return { records, rejects, bytes };
}

const PAUSES: Array<[string, () => Promise<unknown>]> = [
  ['no pause', () => Promise.resolve()],
  ['a timer now and then', () => new Promise((r) => setTimeout(r, 0))],
  ['a slow consumer', () => new Promise((r) => setTimeout(r, 5))],
];

it.each(PAUSES)('reads every CSV record once, with its line, whatever the consumer does meanwhile (%s)', async (_, pause) => {
  const rows = Array.from({ length: 20_000 }, (_, i) => `M${i},1390000${String(i).padStart(4, '0')},会员${i}`);
  // Line 3 holds a quoted line break (the record ends on line 4); line 6 has a field too many.
  const lines = ['member_no,phone,name', rows[0], '"M-q",13800000000,"two', 'lines"', rows[1], 'X,1,2,3', ...rows.slice(2), ''];
  const file = tmp('members.csv', lines.join('\n'));
  const { records, rejects, bytes } = await readAll(file, 'csv', pause);
  expect(records).toHaveLength(rows.length + 1);
  expect(bytes).toBe(fs.statSync(file).size); // progress reaches the end of the file
  expect(records[0]).toEqual({ line: 2, record: { member_no: 'M0', phone: '13900000000', name: '会员0' } });
  expect(records[1]).toEqual({ line: 4, record: { member_no: 'M-q', phone: '13800000000', name: 'two\nlines' } });
  expect(records[2]!.line).toBe(5);
  expect(records.at(-1)).toEqual({ line: rows.length + 4, record: { member_no: `M${rows.length - 1}`, phone: `1390000${rows.length - 1}`, name: `会员${rows.length - 1}` } });
  expect(rejects).toEqual([{ line: 6, reason: expect.stringMatching(/^unreadable CSV row/) }]);
});

it.each(PAUSES)('reads every JSON line once (%s)', async (_, pause) => {
  const file = tmp('members.jsonl', ['{"member_no":"J1"}', '', 'not json', '[1]', '{"member_no":"J2"}'].join('\n'));
  const { records, rejects } = await readAll(file, 'jsonl', pause);
  expect(records).toEqual([{ line: 1, record: { member_no: 'J1' } }, { line: 5, record: { member_no: 'J2' } }]);
  expect(rejects.map((r) => r.line)).toEqual([3, 4]);
});

it('a header that cannot be read refuses the file with its line, rather than taking a row for the header', async () => {
  const file = tmp('members.csv', ['', 'member_no,"phone', 'M1,138'].join('\n'));
  await expect(readAll(file, 'csv', () => Promise.resolve())).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/header \(line 2\)/) });
});

it('a row with a stray quote is refused on its own line and the rows after it are read', async () => {
  const file = tmp('members.csv', ['member_no,phone,name', 'M1,13800000001,"王', 'M2,13800000002,李', 'M3,13800000003,张', ''].join('\n'));
  const { records, rejects } = await readAll(file, 'csv', () => Promise.resolve());
  expect(records.map((r) => [r.line, r.record.member_no])).toEqual([[3, 'M2'], [4, 'M3']]);
  expect(rejects).toEqual([{ line: 2, reason: expect.stringMatching(/^unreadable CSV row: a quote opened in field 3 is never closed/) }]);
});
