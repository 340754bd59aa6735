/**
 * A chosen file's text, whatever encoding a spreadsheet saved it in: a byte-order mark decides (UTF-8 or UTF-16);
 * else valid UTF-8 is UTF-8, and anything else is read as GB18030, the superset of the GBK that Excel's "CSV" uses
 * on Chinese Windows. `File.text()` would read GBK as UTF-8 and turn every Chinese name into U+FFFD.
 */
export async function readTextFile(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('gb18030').decode(bytes);
  }
}
