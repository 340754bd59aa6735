import type { ZodError } from 'zod';
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
