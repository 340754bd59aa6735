/**
 * Which encoding a text file's first bytes are in: the one decision the importer (decode.ts) and the console's CSV
 * uploads (console/src/textFile.ts) both make. Pure and free of Node and server imports (Uint8Array, TextDecoder),
 * so Vite bundles this very file into the console: the browser and the server cannot drift apart.
 */
export type SniffedEncoding = 'utf-8' | 'gb18030' | 'utf-16le' | 'utf-16be';

/** How much of a file the encoding is judged on: enough for thousands of rows, small enough to hold. */
export const SNIFF_BYTES = 64 * 1024;

/**
 * Why no encoding is guessed: a spreadsheet workbook (.xlsx/.xls), text that reads as GBK only by accident (a
 * Western code page's accented letters), or bytes that are neither UTF-8 nor GB18030 text.
 */
export type SniffRefusal = 'workbook' | 'western' | 'not-text';

export type SniffOutcome = { encoding: SniffedEncoding } | { refused: SniffRefusal };

/**
 * A byte-order mark decides; else text that is valid UTF-8 is UTF-8, and text that is not but is valid GB18030 (the
 * superset of the GBK Chinese Excel saves) is GB18030, unless it looks like Western text. `wholeFile`: `head` is the
 * whole file (else a character cut at its end is left undecided instead of called invalid).
 */
export function sniffBytes(head: Uint8Array, wholeFile: boolean): SniffOutcome {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8' };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le' };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be' };
  const startsWith = (magic: number[]) => magic.every((b, i) => head[i] === b);
  if (startsWith([0x50, 0x4b, 0x03, 0x04]) || startsWith([0xd0, 0xcf, 0x11, 0xe0])) return { refused: 'workbook' };
  if (decodes(head, 'utf-8', wholeFile)) return { encoding: 'utf-8' };
  if (decodes(head, 'gb18030', wholeFile) && !head.includes(0)) return looksLikeWesternText(head) ? { refused: 'western' } : { encoding: 'gb18030' };
  return { refused: 'not-text' };
}

/**
 * Chinese text in GBK is mostly pairs of bytes from 0xA1 up (GB2312); an accented letter of a Western code page is
 * one high byte before a plain letter, which GBK also accepts as a (rare) character. When most pairs end in an ASCII
 * byte, the file is not Chinese: guessing GBK would store every "é" as a Chinese character.
 */
function looksLikeWesternText(bytes: Uint8Array): boolean {
  let pairs = 0;
  let asciiTrail = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x81 || b === 0xff) continue;
    const next = bytes[i + 1];
    if (next === undefined) break;
    if (next >= 0x30 && next <= 0x39) {
      i += 3; // a four-byte GB18030 sequence
      continue;
    }
    pairs++;
    if (next < 0x80) asciiTrail++;
    i++;
  }
  return asciiTrail * 2 > pairs;
}

function decodes(bytes: Uint8Array, encoding: SniffedEncoding, wholeFile: boolean): boolean {
  try {
    new TextDecoder(encoding, { fatal: true }).decode(bytes, { stream: !wholeFile });
    return true;
  } catch {
    return false;
  }
}
