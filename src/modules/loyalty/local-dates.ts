import type { Db } from '../../platform/db/database.js';
import { invalid } from '../../platform/errors.js';
import { DATE_EXPECTED, requestDate } from '../../platform/http/validation.js';
import { localParts, wallClockTime, zonedInstant } from '../../platform/time/zones.js';

/**
 * Loyalty's calendar is the workspace's (workspaces.timezone): a coupon "valid until 2026-12-31" or points that
 * "expire at the end of the year" end when that day or year ends there, not at UTC midnight (08:00 in Shanghai).
 */
const CACHE_MS = 5_000;
const zones = new Map<string, { zone: string; expires: number }>();

export async function workspaceZone(db: Db, workspaceId: string): Promise<string> {
  const hit = zones.get(workspaceId);
  if (hit && hit.expires > Date.now()) return hit.zone;
  const row = await db.selectFrom('workspaces').select('timezone').where('id', '=', workspaceId).executeTakeFirst();
  const zone = row?.timezone ?? 'Asia/Shanghai';
  if (zones.size >= 10_000) zones.clear();
  zones.set(workspaceId, { zone, expires: Date.now() + CACHE_MS });
  return zone;
}

/** The last millisecond of the local day `days` after the one `at` falls on (0: that day). */
export function endOfLocalDay(at: Date, timeZone: string, days = 0): Date {
  const p = localParts(at, timeZone);
  return new Date(zonedInstant(p.year, p.month, p.day + days + 1, 0, 0, timeZone).getTime() - 1);
}

/** The last millisecond of 31 December of the local year `at` falls in, or of a later one (`years` 2 = the next). */
export function endOfLocalYear(at: Date, timeZone: string, years = 1): Date {
  const p = localParts(at, timeZone);
  return new Date(zonedInstant(p.year + years, 1, 1, 0, 0, timeZone).getTime() - 1);
}

/**
 * The same wall-clock time `months` months before `at` in the zone, on the month's last day when it is shorter
 * (31 March less one month: 28 February, where Date's setMonth gives 3 March).
 */
export function monthsBefore(at: Date, timeZone: string, months: number): Date {
  const p = localParts(at, timeZone);
  const index = p.year * 12 + (p.month - 1) - months;
  const [year, month] = [Math.floor(index / 12), (index % 12) + 1];
  const days = month === 2 ? (isLeap(year) ? 29 : 28) : new Date(Date.UTC(2001, month, 0)).getUTCDate();
  return zonedInstant(year, month, Math.min(p.day, days), p.hour, p.minute, timeZone, p.second, at.getUTCMilliseconds());
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** 00:00 of 1 January of the local year `at` falls in. */
export function startOfLocalYear(at: Date, timeZone: string): Date {
  return zonedInstant(localParts(at, timeZone).year, 1, 1, 0, 0, timeZone);
}

/** The local calendar day `at` falls on, as YYYY-MM-DD. */
export function localDay(at: Date, timeZone: string): string {
  const p = localParts(at, timeZone);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

const DATE_ONLY = /^\s*\d{4}(?:[-/.]\d{1,2}[-/.]\d{1,2}|年\d{1,2}月\d{1,2}日)\s*$/;

/**
 * A request date as the workspace means it: text without an offset is its wall clock, and a date alone is the start
 * of that day, or with `end` its last millisecond (a validity "until 2026-12-31" includes the 31st). Text with an
 * offset, Dates and other values pass unchanged for the schema to judge; a day the calendar lacks becomes an
 * invalid Date, which the schema refuses (JavaScript would roll 2026-02-30 into March).
 */
export function zonedRequestDate(value: unknown, timeZone: string, end = false): unknown {
  if (typeof value !== 'string') return value;
  const local = wallClockTime(value, timeZone);
  if (local === undefined) return value;
  if (local === null) return new Date(NaN);
  return end && DATE_ONLY.test(value) ? endOfLocalDay(local, timeZone) : local;
}

/** `input` with the named fields read by zonedRequestDate (fields in `ends` as inclusive end days). */
export function withZonedDates<T>(input: T, timeZone: string, fields: readonly string[], ends: readonly string[] = []): T {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const f of fields) if (Object.hasOwn(out, f)) out[f] = zonedRequestDate(out[f], timeZone, ends.includes(f));
  return out as T;
}

/**
 * A request's date field read again from the text as sent (the route's schema already read it with JavaScript's
 * Date): in the workspace's zone, held to the same rules (years 1-9999, no 30 February). Absent stays undefined.
 */
export function requestDateIn(raw: unknown, timeZone: string, path: string, end = false): Date | undefined {
  if (raw === undefined || raw === null) return undefined;
  const parsed = requestDate.safeParse(zonedRequestDate(raw, timeZone, end));
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues[0]?.message ?? DATE_EXPECTED;
  throw invalid(`invalid ${path}: ${message}`, [{ path, message }]);
}
