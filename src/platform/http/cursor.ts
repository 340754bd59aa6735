import { invalid } from '../errors.js';
import { inStorableDateRange } from './validation.js';

/** Keyset-paging cursors: the last row's sort key, opaque to clients (base64url JSON of strings). */
export function encodeCursor(key: string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/**
 * A cursor is client input: `valid` checks the parts the caller puts in its statement (a forged time such as "x"
 * would otherwise fail the statement as a 500).
 */
export function decodeCursor(cursor: string, parts: number, valid: (key: string[]) => boolean = () => true): string[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === parts && key.every((k) => typeof k === 'string') && valid(key)) return key as string[];
  } catch {
    /* fall through */
  }
  throw invalid('invalid cursor', [{ path: 'query.cursor', message: 'use nextCursor from the previous page' }]);
}

/** A cursor's time part exactly as the pages write it (toISOString), and one PostgreSQL takes. */
export function isCursorTime(s: string | undefined): boolean {
  const d = new Date(s ?? '');
  return !Number.isNaN(d.getTime()) && inStorableDateRange(d) && d.toISOString() === s;
}
