import { expect, it } from 'vitest';
import { copyText } from '../../src/modules/importer/stage.js';

const COLUMNS = [['k', 'int'], ['name', 'text'], ['traits', 'jsonb'], ['ok', 'boolean'], ['at', 'timestamptz']] as const;

/** COPY's text format built the plain way, to compare the buffer writer against. */
const expected = (rows: unknown[][]) =>
  rows
    .map((r) =>
      [
        String(r[0]),
        r[1] === null ? '\\N' : String(r[1]).replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!),
        JSON.stringify(r[2]).replace(/\\/g, '\\\\'),
        r[3] ? 't' : 'f',
        (r[4] as Date).toISOString(),
      ].join('\t'),
    )
    .map((line) => `${line}\n`)
    .join('');

it('renders rows in COPY text format as UTF-8, escaping what COPY would misread, across buffer growth', () => {
  // Wide rows of 1-, 2-, 3- and 4-byte characters: the chunk outgrows the first buffer several times.
  const rows = Array.from({ length: 3000 }, (_, k) => [
    k,
    k % 7 === 0 ? null : `王芳${'é'.repeat(k % 50)} tab\there line\nbreak back\\slash 😀${'字'.repeat(k % 300)}`,
    { name: `李娜 "${k}"`, note: 'a\\b\n', emoji: '😀'.repeat(k % 40) },
    k % 2 === 0,
    new Date(Date.UTC(2026, 0, 1) + k * 1000),
  ]);
  const buf = copyText(COLUMNS, rows);
  expect(buf.length).toBeGreaterThan(1 << 20);
  expect(buf.toString('utf8')).toBe(expected(rows));
  expect(copyText(COLUMNS, []).length).toBe(0);
});
