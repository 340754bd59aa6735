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
export function findNulCharacter(value: unknown, root: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? root : undefined;
  // Bodies are parsed JSON (any depth the parser took); stop early rather than recurse without bound.
  if (!value || typeof value !== 'object' || depth > 2_000) return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNulCharacter(value[i], `${root}[${i}]`, depth + 1);
      if (found) return found;
    }
    return undefined;
  }
  for (const [key, v] of Object.entries(value)) {
    const at = formatPath(root, [key]);
    if (key.includes('\u0000')) return at;
    const found = findNulCharacter(v, at, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * A date given in a query string (report periods). Years 1 to 9999 only: JavaScript dates reach back to 271821 BC,
 * PostgreSQL's timestamptz only to 4713 BC, and a date it refuses would fail the report's statement as a 500.
 */
export const queryDate = z.coerce.date().refine((d) => d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999, 'a date between the years 1 and 9999');
