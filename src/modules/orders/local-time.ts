/**
 * Order times without a UTC offset ("2026-05-01 08:00:00", "2026/05/01 08:00", "2026-05-01"), as shop systems and
 * spreadsheet exports write them, are wall-clock times of the workspace's time zone. JavaScript would read them in
 * the server process's zone (or, date-only, as UTC), so the same file would import differently on another machine.
 */
const NAIVE = /^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/;

export const ORDER_TIME_FIELDS = ['orderedAt', 'paidAt', 'refundedAt', 'cancelledAt'] as const;

/** The instant a naive time names in `timeZone` (ISO text), or the value unchanged when it has an offset or is not text. */
export function zonedTime(value: unknown, timeZone: string): unknown {
  if (typeof value !== 'string') return value;
  const m = NAIVE.exec(value.trim());
  if (!m) return value;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d); // not Date.UTC, which reads years 0-99 as 1900-1999
  date.setUTCHours(h, mi, s, Number((m[7] ?? '0').padEnd(3, '0')));
  const wall = date.getTime();
  if (Number.isNaN(wall) || date.getUTCDate() !== d || date.getUTCMonth() !== mo - 1 || h > 23 || s > 59) return new Date(NaN); // 2026-02-30: JavaScript would roll it into March
  const first = wall - offsetMs(wall, timeZone);
  // Re-check at the candidate: the offset may differ there (daylight saving changes).
  return new Date(wall - offsetMs(first, timeZone)).toISOString();
}

/** An order (as sent) with its naive times read in `timeZone`; anything else is left as it is. */
export function withZonedTimes(input: unknown, timeZone: string): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  for (const field of ORDER_TIME_FIELDS) if (Object.hasOwn(out, field)) out[field] = zonedTime(out[field], timeZone);
  return out;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of the zone from UTC at an instant, in ms (Asia/Shanghai: +8 h). */
function offsetMs(instant: number, timeZone: string): number {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(instant));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second'));
  return wall - Math.floor(instant / 1000) * 1000;
}
