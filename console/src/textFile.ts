import { SNIFF_BYTES, sniffBytes, type SniffedEncoding, type SniffRefusal } from '../../src/modules/importer/sniff.js';

export type { SniffedEncoding };

/**
 * Why a file is not read: its encoding is not guessed (see sniffBytes), or `mixed`: bytes further on are not valid
 * in the encoding its first 64 KB are in (the importer would reject those rows; here the whole file is one request).
 */
export type TextFileProblem = SniffRefusal | 'mixed';

/** A file that is not read as text: the page names the reason and what to do. */
export class TextFileError extends Error {
  constructor(readonly reason: TextFileProblem) {
    super(`the file's text cannot be read (${reason})`);
  }
}

/**
 * A chosen file's text and the encoding it was read in, decided as the server's importer decides it (the same
 * sniffBytes on the same first 64 KB): a byte-order mark (UTF-8 or UTF-16); else valid UTF-8; else GB18030, the
 * superset of the GBK that Excel's "CSV" uses on Chinese Windows, unless the bytes are a Western code page's accented
 * letters that read as GBK only by accident. `File.text()` would read GBK as UTF-8 and turn every Chinese name into
 * U+FFFD. Throws TextFileError for a workbook, such Western text, bytes that are no text in either, or a file that
 * changes encoding after its start.
 */
export async function readTextFile(file: Blob): Promise<{ text: string; encoding: SniffedEncoding }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const outcome = sniffBytes(bytes.subarray(0, SNIFF_BYTES), bytes.length <= SNIFF_BYTES);
  if ('refused' in outcome) throw new TextFileError(outcome.refused);
  try {
    // TextDecoder drops a byte-order mark of its own encoding.
    return { text: new TextDecoder(outcome.encoding, { fatal: true }).decode(bytes), encoding: outcome.encoding };
  } catch {
    throw new TextFileError('mixed');
  }
}
