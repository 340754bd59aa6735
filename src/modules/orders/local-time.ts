import { wallClockTime } from '../../platform/time/zones.js';

/**
 * Order times without a UTC offset ("2026-05-01 08:00:00", "2026/5/1 8:00", "2026年5月1日"), as shop systems and
 * spreadsheet exports write them, are wall-clock times of the workspace's time zone. JavaScript would read them in
 * the server process's zone (or, date-only, as UTC), so the same file would import differently on another machine.
 */
export const ORDER_TIME_FIELDS = ['orderedAt', 'paidAt', 'refundedAt', 'cancelledAt'] as const;

/** The instant a naive time names in `timeZone`, or the value unchanged when it has an offset or is not text. */
export function zonedTime(value: unknown, timeZone: string): unknown {
  if (typeof value !== 'string') return value;
  const local = wallClockTime(value, timeZone);
  // null: a day the calendar lacks (2026-02-30), which JavaScript would roll into March: text no date parser takes,
  // so the schema refuses it with its usual message.
  return local === undefined ? value : local === null ? 'Invalid Date' : local;
}

/** An order (as sent) with its naive times read in `timeZone`; anything else is left as it is. */
export function withZonedTimes(input: unknown, timeZone: string): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const field of ORDER_TIME_FIELDS) if (Object.hasOwn(out, field)) out[field] = zonedTime(out[field], timeZone);
  return out;
}
