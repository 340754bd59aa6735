import { invalid } from '../errors.js';

/** Keyset-paging cursors: the last row's sort key, opaque to clients (base64url JSON of strings). */
export function encodeCursor(key: string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string, parts: number): string[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === parts && key.every((k) => typeof k === 'string')) return key as string[];
  } catch {
    /* fall through */
  }
  throw invalid('invalid cursor', [{ path: 'query.cursor', message: 'use nextCursor from the previous page' }]);
}
