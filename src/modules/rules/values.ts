import { anniversaryDays, addDays, traitDate, type EvalContext } from './clock.js';
import { compareDecimal, decimal, type Decimal } from './decimal.js';
import type { Compare, ConditionOf, PropertyFilter, TraitType } from './schema.js';

/**
 * Typed reads of JSON values and the comparisons both evaluators share. A value of the wrong JSON type reads as
 * missing, and a missing value satisfies no positive operator (so `neq` / `not_in` / `not_exists`, defined as
 * negations, hold for it). The SQL side (compile.ts) mirrors every function here.
 */

/** Walks a dotted path through objects (and arrays by index), as jsonb `#>` does. */
export function valueAt(root: unknown, path: string[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    if (Array.isArray(current)) {
      if (!/^-?\d+$/.test(key)) return undefined;
      const index = Number(key);
      current = current[index < 0 ? current.length + index : index];
    } else {
      // Own properties only, as jsonb has: `constructor` or `toString` must not find Object.prototype's function.
      current = Object.hasOwn(current, key) ? (current as Record<string, unknown>)[key] : undefined;
    }
  }
  return current === null ? undefined : current;
}

export type Typed = { type: 'string'; v: string } | { type: 'number'; v: Decimal } | { type: 'boolean'; v: boolean } | { type: 'date'; v: string };

export function readTyped(value: unknown, type: TraitType): Typed | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? { type, v: value } : undefined;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? { type, v: decimal(value) } : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? { type, v: value } : undefined;
    case 'date': {
      const day = traitDate(value);
      return day === undefined ? undefined : { type, v: day };
    }
  }
}

export function compareNumbers(a: Decimal, op: Compare, b: Decimal): boolean {
  const c = compareDecimal(a, b);
  switch (op) {
    case 'eq':
      return c === 0;
    case 'neq':
      return c !== 0;
    case 'gt':
      return c > 0;
    case 'gte':
      return c >= 0;
    case 'lt':
      return c < 0;
    case 'lte':
      return c <= 0;
  }
}

function equalTo(t: Typed, value: unknown): boolean {
  if (t.type === 'number') return typeof value === 'number' && compareDecimal(t.v, decimal(value)) === 0;
  return t.v === value;
}

/** A trait condition over the trait's raw JSON value. */
export function traitHolds(c: ConditionOf<'trait'>, raw: unknown, ctx: EvalContext): boolean {
  const t = readTyped(raw, c.type);
  switch (c.op) {
    case 'neq':
      return !traitHolds({ ...c, op: 'eq' }, raw, ctx);
    case 'not_in':
      return !traitHolds({ ...c, op: 'in' }, raw, ctx);
    case 'not_exists':
      return t === undefined;
    default:
  }
  if (t === undefined) return false;
  const values = c.values ?? [];
  switch (c.op) {
    case 'exists':
      return true;
    case 'eq':
    case 'on':
      return equalTo(t, c.value);
    case 'in':
      return values.some((v) => equalTo(t, v));
    case 'contains':
      return t.type === 'string' && typeof c.value === 'string' && t.v.includes(c.value);
    case 'starts_with':
      return t.type === 'string' && typeof c.value === 'string' && t.v.startsWith(c.value);
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return t.type === 'number' && typeof c.value === 'number' && compareNumbers(t.v, c.op, decimal(c.value));
    case 'between':
      if (t.type === 'number') {
        const [lo, hi] = values as number[];
        return lo !== undefined && hi !== undefined && compareNumbers(t.v, 'gte', decimal(lo)) && compareNumbers(t.v, 'lte', decimal(hi));
      }
      return t.type === 'date' && String(values[0]) <= t.v && t.v <= String(values[1]);
    case 'before':
      return t.type === 'date' && t.v < String(c.value);
    case 'after':
      return t.type === 'date' && t.v > String(c.value);
    case 'within_last_days':
      return t.type === 'date' && addDays(ctx.today, -(c.days ?? 0)) <= t.v && t.v <= ctx.today;
    case 'anniversary_within_days':
      return t.type === 'date' && anniversaryDays(ctx.today, c.days ?? 0).includes(t.v.slice(5));
  }
  return false;
}

/** The trait type a property filter compares as: the JSON type of its value (or values). */
export function filterType(f: PropertyFilter): TraitType | undefined {
  const sample = f.value ?? f.values?.[0];
  if (sample === undefined) return undefined;
  return typeof sample === 'string' ? 'string' : typeof sample === 'number' ? 'number' : 'boolean';
}

export function filterHolds(f: PropertyFilter, properties: unknown): boolean {
  const raw = valueAt(properties, f.property.split('.'));
  if (f.op === 'exists') return raw !== undefined;
  const type = filterType(f);
  if (!type) return false;
  return traitHolds({ kind: 'trait', trait: f.property, type, op: f.op, value: f.value, values: f.values }, raw, { now: new Date(0), today: '', timeZone: 'UTC' });
}
