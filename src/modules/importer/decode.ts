import { AppError } from '../../platform/errors.js';
import { SNIFF_BYTES, sniffBytes, type SniffRefusal } from './sniff.js';

/**
 * The text encodings an import reads. Chinese Excel saves "CSV" in the system code page (GBK, read here as its
 * superset GB18030), "CSV UTF-8" with a byte-order mark, and "Unicode text" as UTF-16; shop systems export UTF-8.
 */
export const IMPORT_ENCODINGS = ['utf-8', 'gb18030', 'utf-16le', 'utf-16be', 'big5', 'windows-1252'] as const;
export type ImportEncoding = (typeof IMPORT_ENCODINGS)[number];

const ALIASES: Record<string, ImportEncoding> = {
  'utf-8': 'utf-8', utf8: 'utf-8',
  gb18030: 'gb18030', gbk: 'gb18030', gb2312: 'gb18030', cp936: 'gb18030',
  'utf-16le': 'utf-16le', utf16le: 'utf-16le', 'utf-16': 'utf-16le', 'utf-16be': 'utf-16be', utf16be: 'utf-16be',
  // Never sniffed, only named: Hong Kong and Taiwan exports (Big5), and Western Excel's "CSV" (Windows-1252).
  big5: 'big5', 'windows-1252': 'windows-1252', cp1252: 'windows-1252', latin1: 'windows-1252', 'iso-8859-1': 'windows-1252',
};

/** A user-given encoding name (`auto`, absent, or one of the names and aliases above); anything else is a 400. */
export function parseEncoding(given: string | undefined): ImportEncoding | 'auto' {
  if (given === undefined || given === '' || given.toLowerCase() === 'auto') return 'auto';
  const found = Object.hasOwn(ALIASES, given.toLowerCase()) ? ALIASES[given.toLowerCase()] : undefined;
  if (!found) throw new AppError('invalid_request', `unknown encoding "${given}": use auto, utf-8, gb18030 (also gbk), big5, windows-1252 (latin1), utf-16le or utf-16be`);
  return found;
}

export { SNIFF_BYTES };

/**
 * The encoding of a file from its first bytes (`sniffBytes`, shared with the console): a byte-order mark decides;
 * else text that is valid UTF-8 is UTF-8, and text that is not but is valid GB18030 is GB18030. A spreadsheet
 * workbook, text that reads as GBK only by accident, or other binary is refused with what to do, rather than
 * imported as rows of garbage.
 */
export function sniffEncoding(head: Buffer, wholeFile: boolean): ImportEncoding {
  const outcome = sniffBytes(head, wholeFile);
  if ('encoding' in outcome) return outcome.encoding;
  throw new AppError('invalid_request', REFUSALS[outcome.refused]);
}

const REFUSALS: Record<SniffRefusal, string> = {
  workbook: 'this is a spreadsheet workbook (.xlsx or .xls), not a CSV file: save it as "CSV UTF-8" in Excel (or as CSV) and import that',
  western: 'the file is not UTF-8, and reads as GBK only by accident (accented letters, as Western Excel saves them): name its encoding (windows-1252 for a Western "CSV"), or save it as "CSV UTF-8"',
  'not-text': 'the file is not text in UTF-8 or GB18030 (GBK): save it as "CSV UTF-8", or name its encoding (big5, windows-1252 for a Western "CSV")',
};

/**
 * A file's bytes as UTF-8, decided by `encoding` (or sniffed from the first SNIFF_BYTES). UTF-8 passes through
 * untouched (the CSV reader decodes it, as fast as before); other encodings are decoded as they stream. Bytes that
 * are not valid in the encoding become U+FFFD, which the importer rejects row by row (see `unreadableReject`).
 * `onEncoding` learns the encoding once it is known.
 */
export async function* utf8Chunks(
  source: AsyncIterable<Buffer>,
  encoding: ImportEncoding | 'auto',
  onEncoding: (encoding: ImportEncoding) => void,
): AsyncGenerator<Buffer> {
  let decoder: TextDecoder | null | undefined; // undefined: not yet known; null: UTF-8, passed through
  const choose = (chosen: ImportEncoding) => {
    onEncoding(chosen);
    decoder = chosen === 'utf-8' ? null : new TextDecoder(chosen);
  };
  if (encoding !== 'auto') choose(encoding);
  const head: Buffer[] = [];
  let headBytes = 0;
  let first = true;
  const convert = (chunk: Buffer): Buffer | undefined => {
    if (!decoder) {
      // A UTF-8 byte-order mark is not part of the first line (JSON.parse would refuse it).
      const bom = first && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf;
      first = false;
      return bom ? chunk.subarray(3) : chunk;
    }
    const text = decoder.decode(chunk, { stream: true });
    return text ? Buffer.from(text, 'utf8') : undefined;
  };
  for await (const chunk of source) {
    if (decoder === undefined) {
      head.push(chunk);
      headBytes += chunk.length;
      if (headBytes < SNIFF_BYTES) continue;
      const bytes = Buffer.concat(head);
      choose(sniffEncoding(bytes, false));
      const out = convert(bytes);
      if (out) yield out;
      continue;
    }
    const out = convert(chunk);
    if (out) yield out;
  }
  if (decoder === undefined) {
    const bytes = Buffer.concat(head);
    if (!bytes.length) return;
    choose(sniffEncoding(bytes, true));
    const out = convert(bytes);
    if (out) yield out;
  }
  if (decoder) {
    const rest = decoder.decode();
    if (rest) yield Buffer.from(rest, 'utf8');
  }
}
