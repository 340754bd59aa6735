/**
 * A streaming CSV splitter for the import (RFC 4180 with the importer's settings): one delimiter, `"` quotes with `""`
 * inside, records ending with LF, CRLF or (when the file's first line ends so) a lone CR, a quoted field running over
 * lines, whitespace trimmed around fields, blank lines skipped, a byte-order mark dropped. A malformed record (a quote
 * inside an unquoted field, text after a closing quote, a quote never closed) is reported with its line and the
 * splitter goes on at the next line.
 *
 * Why not csv-parse: the member import shares 2 cores with PostgreSQL, and csv-parse spent ~12 µs of the CLI's
 * ~38 µs per member (`bench/import-cpu.ts`); a line without quotes here is one `split`.
 */
export type CsvRecord = { line: number; fields: string[] } | { line: number; error: string };

const QUOTE = '"';
const MAX_PENDING = 1 << 20;

export class CsvSplitter {
  private buffer = '';
  /** Lines consumed so far (the number of the last line of the last record). */
  private line = 0;
  private started = false;
  private newline: '\n' | '\r' | undefined;

  private readonly delimiterCode: number;

  constructor(private readonly delimiter: string) {
    this.delimiterCode = delimiter.length === 1 ? delimiter.charCodeAt(0) : -1;
  }

  /** The complete records in the text so far; an incomplete last line waits for the next call or `end`. */
  push(text: string): CsvRecord[] {
    if (!this.started) {
      if (!text) return [];
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.buffer += text;
    return this.drain(false);
  }

  /** The records left at the end of the input. */
  end(): CsvRecord[] {
    return this.drain(true);
  }

  private drain(final: boolean): CsvRecord[] {
    const out: CsvRecord[] = [];
    const buf = this.buffer;
    this.newline ??= newlineOf(buf, final);
    if (this.newline === undefined) return out;
    const nl = this.newline;
    let p = 0;
    while (p < buf.length) {
      let eol = buf.indexOf(nl, p);
      if (eol < 0) {
        if (!final) break;
        eol = buf.length;
      }
      const quoted = buf.indexOf(QUOTE, p);
      if (quoted < 0 || quoted > eol) {
        // The common case: a line without quotes.
        this.line++;
        let text = buf.slice(p, eol);
        if (nl === '\n' && text.endsWith('\r')) text = text.slice(0, -1);
        p = eol + 1;
        if (!text.trim()) continue;
        const fields = text.split(this.delimiter);
        for (let i = 0; i < fields.length; i++) fields[i] = fields[i]!.trim();
        out.push({ line: this.line, fields });
        continue;
      }
      // A record over 1 MB is a quote never closed, not a member: judged now rather than holding the rest of the file.
      const parsed = this.quotedRecord(buf, p, final || buf.length - p > MAX_PENDING);
      if (!parsed) break; // a quoted field goes on past what has arrived
      p = parsed.next;
      out.push(parsed.record);
    }
    this.buffer = buf.slice(Math.min(p, buf.length));
    return out;
  }

  /**
   * One record with a quote in it, from `start`; undefined when more input is needed. With `whole`, what has arrived
   * is all there is: a quote never closed is an error on its line, and the next record starts on the line after it.
   */
  private quotedRecord(buf: string, start: number, whole: boolean): { record: CsvRecord; next: number } | undefined {
    const nl = this.newline!;
    const d = this.delimiter;
    const fields: string[] = [];
    let p = start;
    /** An error on the line holding `at`: the splitter goes on at the line after it. */
    const fail = (at: number, error: string) => {
      this.line += 1 + countOf(buf, nl, start, at);
      let eol = buf.indexOf(nl, at);
      if (eol < 0) eol = buf.length;
      return { record: { line: this.line, error }, next: eol + 1 };
    };
    for (;;) {
      let q = p;
      while (q < buf.length && this.isBlank(buf.charCodeAt(q))) q++;
      if (buf[q] === QUOTE) {
        let value = '';
        let from = q + 1;
        for (;;) {
          const close = buf.indexOf(QUOTE, from);
          if (close < 0 || (close + 1 >= buf.length && !whole)) {
            if (!whole) return undefined;
            return fail(q, `a quote opened in field ${fields.length + 1} is never closed`);
          }
          if (buf[close + 1] === QUOTE) {
            value += buf.slice(from, close + 1);
            from = close + 2;
            continue;
          }
          value += buf.slice(from, close);
          p = close + 1;
          break;
        }
        while (p < buf.length && this.isBlank(buf.charCodeAt(p))) p++;
        fields.push(value);
        if (buf.startsWith(d, p)) {
          p += d.length;
          continue;
        }
        const cr = nl === '\n' && buf[p] === '\r' && p + 1 >= buf.length; // a CRLF cut between two pieces
        if ((p >= buf.length || cr) && !whole) return undefined;
        if (p >= buf.length || cr || atLineEnd(buf, p, nl)) break;
        return fail(p, `text after the closing quote of field ${fields.length}`);
      }
      // A plain field: up to the next delimiter or line end; a quote in it is an error.
      let eol = buf.indexOf(nl, q);
      if (eol < 0) {
        if (!whole) return undefined;
        eol = buf.length;
      }
      let end = buf.indexOf(d, q);
      if (end < 0 || end > eol) end = eol;
      const raw = buf.slice(q, end);
      if (raw.includes(QUOTE)) return fail(q, `a quote inside the unquoted field ${fields.length + 1}`);
      fields.push(raw.trim());
      p = end;
      if (end === eol) break;
      p += d.length;
    }
    // p is at the record's line end (or the end of the input).
    this.line += 1 + countOf(buf, nl, start, p);
    let next = p;
    if (nl === '\n' && buf[next] === '\r') next++;
    return { record: { line: this.line, fields }, next: next + 1 };
  }

  /** Whitespace around a field: spaces, tabs and the ideographic space, unless one of them is the delimiter. */
  private isBlank(c: number): boolean {
    return (c === 0x20 || c === 0x09 || c === 0x3000 || c === 0xa0) && c !== this.delimiterCode;
  }
}

function atLineEnd(buf: string, p: number, nl: string): boolean {
  if (buf[p] === nl) return true;
  return nl === '\n' && buf[p] === '\r' && buf[p + 1] === '\n';
}

function countOf(buf: string, ch: string, from: number, to: number): number {
  let n = 0;
  for (let i = buf.indexOf(ch, from); i >= 0 && i < to; i = buf.indexOf(ch, i + 1)) n++;
  return n;
}

/** LF unless the first line ends with a lone CR (classic Mac exports); undefined until a line end has arrived. */
function newlineOf(buf: string, final: boolean): '\n' | '\r' | undefined {
  const lf = buf.indexOf('\n');
  const cr = buf.indexOf('\r');
  if (cr >= 0 && (lf < 0 || cr < lf) && buf[cr + 1] !== '\n') {
    if (cr + 1 < buf.length || final) return '\r';
    return undefined;
  }
  if (lf >= 0 || cr >= 0 || final) return '\n';
  return undefined;
}
