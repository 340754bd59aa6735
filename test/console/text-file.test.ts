import { expect, it } from 'vitest';
import { readTextFile, TextFileError } from '../../console/src/textFile.js';
import { sniffEncoding } from '../../src/modules/importer/decode.js';

/** Bytes as spreadsheets save them: the console's CSV uploads (tags, static segments) and the importer must agree. */
const gbk = (hex: string) => Buffer.from(hex, 'hex');
const SAMPLES: Record<string, Buffer> = {
  'UTF-8': Buffer.from('userId,value\nm-1,张三\n'),
  'UTF-8 with a byte-order mark': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('userId,value\nm-1,上海\n')]),
  'GBK (Excel "CSV" on Chinese Windows)': Buffer.concat([Buffer.from('userId,value\nm-1,'), gbk('d5c5c8fd'), Buffer.from('\nm-2,'), gbk('c9cfbaa3'), Buffer.from('\n')]),
  'UTF-16LE (Excel "Unicode text")': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('userId\tvalue\nm-1\t张三\n', 'utf16le')]),
  'Windows-1252 (Western Excel "CSV")': Buffer.from('userId,city\nm-1,Renée Genève\nm-2,Crème\n', 'latin1'),
  'a workbook (.xlsx)': Buffer.concat([Buffer.from('504b0304', 'hex'), Buffer.alloc(64, 1)]),
  'bytes that are no text': Buffer.from([0x75, 0x0a, 0xff, 0xfe, 0xff, 0x0a]),
  'UTF-8 for 64 KB, then GBK': Buffer.concat([Buffer.from(`userId,value\n${'m-1,张三\n'.repeat(7000)}`), Buffer.from('m-2,'), gbk('d5c5c8fd'), Buffer.from('\n')]),
};

const server = (bytes: Buffer): string => {
  try {
    return sniffEncoding(bytes.subarray(0, 64 * 1024), bytes.length <= 64 * 1024);
  } catch {
    return 'refused';
  }
};
const consoleSide = async (bytes: Buffer): Promise<string> => {
  try {
    return (await readTextFile(new Blob([new Uint8Array(bytes)]))).encoding;
  } catch (err) {
    if (err instanceof TextFileError) return err.reason === 'mixed' ? 'utf-8, then refused' : 'refused';
    throw err;
  }
};

it('decides each sample as the importer does: the same encoding, or refused', async () => {
  const decided: Record<string, [string, string]> = {};
  for (const [name, bytes] of Object.entries(SAMPLES)) decided[name] = [server(bytes), await consoleSide(bytes)];
  expect(decided).toEqual({
    'UTF-8': ['utf-8', 'utf-8'],
    'UTF-8 with a byte-order mark': ['utf-8', 'utf-8'],
    'GBK (Excel "CSV" on Chinese Windows)': ['gb18030', 'gb18030'],
    'UTF-16LE (Excel "Unicode text")': ['utf-16le', 'utf-16le'],
    'Windows-1252 (Western Excel "CSV")': ['refused', 'refused'],
    'a workbook (.xlsx)': ['refused', 'refused'],
    'bytes that are no text': ['refused', 'refused'],
    // The importer reads it as UTF-8 and rejects the rows with bytes invalid in it; a tag or segment upload is one
    // request, so the console refuses the file rather than send a garbled value.
    'UTF-8 for 64 KB, then GBK': ['utf-8', 'utf-8, then refused'],
  });
});

it('reads the text without a byte-order mark, and says why a file is refused', async () => {
  expect(await readTextFile(new Blob([new Uint8Array(SAMPLES['GBK (Excel "CSV" on Chinese Windows)']!)]))).toEqual({ text: 'userId,value\nm-1,张三\nm-2,上海\n', encoding: 'gb18030' });
  expect((await readTextFile(new Blob([new Uint8Array(SAMPLES['UTF-8 with a byte-order mark']!)]))).text).toBe('userId,value\nm-1,上海\n');
  expect((await readTextFile(new Blob([new Uint8Array(SAMPLES['UTF-16LE (Excel "Unicode text")']!)]))).text).toBe('userId\tvalue\nm-1\t张三\n');
  await expect(readTextFile(new Blob([new Uint8Array(SAMPLES['Windows-1252 (Western Excel "CSV")']!)]))).rejects.toMatchObject({ reason: 'western' });
  await expect(readTextFile(new Blob([new Uint8Array(SAMPLES['a workbook (.xlsx)']!)]))).rejects.toMatchObject({ reason: 'workbook' });
  await expect(readTextFile(new Blob([new Uint8Array(SAMPLES['bytes that are no text']!)]))).rejects.toMatchObject({ reason: 'not-text' });
  await expect(readTextFile(new Blob([new Uint8Array(SAMPLES['UTF-8 for 64 KB, then GBK']!)]))).rejects.toMatchObject({ reason: 'mixed' });
});
