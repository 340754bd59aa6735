import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { expect, it } from 'vitest';
import { CsvSplitter, type CsvRecord } from '../../src/modules/importer/csv.js';

/** Splits text handed over in the given pieces, as the importer's stream does. */
function split(text: string, delimiter: string, cuts: number[] = []): CsvRecord[] {
  const splitter = new CsvSplitter(delimiter);
  const out: CsvRecord[] = [];
  let from = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(...splitter.push(text.slice(from, Math.max(from, cut))));
    from = Math.max(from, cut);
  }
  out.push(...splitter.push(text.slice(from)), ...splitter.end());
  return out;
}

/** csv-parse, with the options the importer used before, as the reference for well-formed files. */
function reference(text: string, delimiter: string): CsvRecord[] {
  const rows = parse(text, { delimiter, bom: true, skip_empty_lines: true, trim: true, relax_column_count: true, info: true }) as unknown as Array<{ record: string[]; info: { lines: number } }>;
  return rows.map((r) => ({ line: r.info.lines, fields: r.record }));
}

const field = fc.oneof(
  fc.stringMatching(/^[a-z0-9 王芳@.+-]{0,8}$/),
  fc.stringMatching(/^[a-z ,;\t"\n王]{0,8}$/),
  fc.constantFrom('', ' ', '会员', '13800138000', '"', '""', ',', 'a\nb'),
);

function encode(rows: string[][], delimiter: string, newline: string): string {
  const quoteIf = (f: string) => (/["\r\n]/.test(f) || f.includes(delimiter) || f !== f.trim() || f === '' ? `"${f.replace(/"/g, '""')}"` : f);
  return rows.map((r) => r.map(quoteIf).join(delimiter)).join(newline);
}

it('splits any well-formed file as csv-parse does, records and line numbers, however the text arrives', () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 12 }),
      fc.constantFrom(',', '\t', ';'),
      fc.constantFrom('\n', '\r\n'),
      fc.boolean(),
      fc.array(fc.nat(400), { maxLength: 6 }),
      (rows, delimiter, newline, trailing, cuts) => {
        // Line breaks inside fields are LFs: csv-parse counts a CRLF inside quotes as two lines (an editor shows one).
        const text = encode(rows, delimiter, newline) + (trailing ? newline : '');
        expect(split(text, delimiter, cuts)).toEqual(reference(text, delimiter));
      },
    ),
    { numRuns: 600 },
  );
});

it.each([
  ['a byte-order mark, blank lines, spaces around fields', '\ufeffname, phone\n\n  王芳 , 138 \n \n"李 雷" ,"x"\n', [
    { line: 1, fields: ['name', 'phone'] }, { line: 3, fields: ['王芳', '138'] }, { line: 5, fields: ['李 雷', 'x'] }]],
  ['a quoted field over two lines, then the next record', 'a,b\n"1\n2",3\n4,5', [
    { line: 1, fields: ['a', 'b'] }, { line: 3, fields: ['1\n2', '3'] }, { line: 4, fields: ['4', '5'] }]],
  ['a quote inside an unquoted field', 'a,b\nx"y,1\n2,3\n', [
    { line: 1, fields: ['a', 'b'] }, { line: 2, error: 'a quote inside the unquoted field 1' }, { line: 3, fields: ['2', '3'] }]],
  ['text after a closing quote', 'a,b\n"x"y,1\n2,3\n', [
    { line: 1, fields: ['a', 'b'] }, { line: 2, error: 'text after the closing quote of field 1' }, { line: 3, fields: ['2', '3'] }]],
  ['a quote never closed: its line is refused, the lines after it are read', 'a,b\n1,"x\n2,3\n4,5\n', [
    { line: 1, fields: ['a', 'b'] }, { line: 2, error: 'a quote opened in field 2 is never closed' }, { line: 3, fields: ['2', '3'] }, { line: 4, fields: ['4', '5'] }]],
  ['classic Mac line ends (CR)', 'a,b\r1,2\r"x\ry",3\r', [
    { line: 1, fields: ['a', 'b'] }, { line: 2, fields: ['1', '2'] }, { line: 4, fields: ['x\ry', '3'] }]],
  ['a tab-separated file keeps empty fields', 'a\tb\tc\n1\t\t3\n', [
    { line: 1, fields: ['a', 'b', 'c'] }, { line: 2, fields: ['1', '', '3'] }]],
])('%s', (_, text, expected) => {
  const delimiter = text.includes('\t') ? '\t' : ',';
  for (let cut = 0; cut <= text.length; cut++) expect(split(text, delimiter, [cut]), `cut at ${cut}`).toEqual(expected);
});

it('a quote never closed in a large file is refused once the record passes 1 MB, and the rest of the file is read', () => {
  const rows = Array.from({ length: 40_000 }, (_, i) => `M${i},1380000${String(i).padStart(4, '0')},会员${i}`);
  const text = ['member_no,phone,name', 'M-x,"138', ...rows, ''].join('\n');
  const splitter = new CsvSplitter(',');
  const out: CsvRecord[] = [];
  let scanned = 0;
  for (let i = 0; i < text.length; i += 65_536) {
    out.push(...splitter.push(text.slice(i, i + 65_536)));
    scanned += 1;
  }
  out.push(...splitter.end());
  expect(out[1]).toEqual({ line: 2, error: 'a quote opened in field 2 is never closed' });
  expect(out.slice(2).map((r) => ('fields' in r ? r.fields[0] : r.error))).toEqual(rows.map((_, i) => `M${i}`));
  expect(out.at(-1)!.line).toBe(rows.length + 2);
  expect(scanned).toBeGreaterThan(10);
});
