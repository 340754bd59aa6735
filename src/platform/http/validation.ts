import { z, type ZodError } from 'zod';
import type { ErrorDetail } from '../errors.js';

/** Turns zod issues into error details whose path names the offending field, e.g. `body.items[2].price`. */
export function zodIssuesToDetails(error: ZodError, root: string): ErrorDetail[] {
  return error.issues.map((issue) => ({ path: formatPath(root, issue.path), message: issue.message }));
}

export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : out ? `.${String(key)}` : String(key);
  return out;
}

/**
 * Where the first NUL character sits in a request value (a string or an object key), if anywhere. PostgreSQL
 * text and jsonb cannot hold it, so a request carrying one could only fail later, inside a statement, as a 500.
 */
export function findNulCharacter(value: unknown, root: string): string | undefined {
  return findCharacter(value, root, (text) => text.includes('\u0000'));
}

/** Where the first string (a value or an object key) that `holds` says yes to sits in a parsed value, if anywhere. */
export function findCharacter(value: unknown, root: string, holds: (text: string) => boolean, depth = 0): string | undefined {
  if (typeof value === 'string') return holds(value) ? root : undefined;
  // Bodies are parsed JSON (any depth the parser took); stop early rather than recurse without bound.
  if (!value || typeof value !== 'object' || depth > 2_000) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findCharacter(value[i], `${root}[${i}]`, holds, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const at = formatPath(root, [key]);
    if (holds(key)) return at;
    const found = findCharacter(v, at, holds, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * Dates from requests (query or body) are held to the years 1 to 9999: JavaScript dates reach from 271821 BC to
 * 275760 AD, PostgreSQL's timestamptz only from 4713 BC, and a date it refuses (or cannot give back as ISO text)
 * would fail the statement as a 500.
 */
export const inStorableDateRange = (d: Date) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999;
export const STORABLE_DATE_RANGE = 'a date between the years 1 and 9999';
export const DATE_EXPECTED = 'expected a date, e.g. 2026-01-31 or 2026-01-31T08:00:00+08:00';
export const requestDate = z.coerce.date({ error: DATE_EXPECTED }).refine(inStorableDateRange, STORABLE_DATE_RANGE);

/** The largest value of an int column: counts and limits stored as int are bounded by it in their schemas. */
export const MAX_INT4 = 2_147_483_647;

/** Deepest nesting a request body may have: far beyond any real payload, well within what JSON.stringify recurses. */
export const MAX_BODY_DEPTH = 512;

/** Whether a parsed body nests deeper than `max` (walked without recursion: the point is not to overflow). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (!isJsonContainer(v)) continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (isJsonContainer(child)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * An array or plain object, as JSON parsing makes them. Anything else is not walked: a route that takes its body as a
 * stream (a file upload) has a request stream there, whose internals (socket, server, back again) are a cyclic graph
 * that walked as data "nested" past any limit, and refused every upload sent over a real connection.
 */
function isJsonContainer(v: unknown): v is object {
  if (!v || typeof v !== 'object') return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}
