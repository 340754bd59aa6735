/**
 * Wall-clock arithmetic in IANA time zones (with Intl only), shared by every module that meets local times: journey
 * waits and quiet hours, and the times shop exports and spreadsheets write without a UTC offset.
 */

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** ISO weekday, 1 = Monday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short' });
    formatters.set(timeZone, f);
  }
  return f;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

export function isTimeZone(name: unknown): name is string {
  if (typeof name !== 'string' || !name) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

export function localParts(instant: Date, timeZone: string): LocalParts {
  const parts = formatter(timeZone).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '0';
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    hour: Number(get('hour')) % 24,
    minute: Number(get('minute')),
    second: Number(get('second')),
    weekday: WEEKDAYS[get('weekday')] ?? 1,
  };
}

/** Offset of the zone from UTC at an instant, in ms (Asia/Shanghai: +8 h). */
function offsetMs(instant: number, timeZone: string): number {
  const p = localParts(new Date(instant), timeZone);
  const wall = new Date(0);
  wall.setUTCFullYear(p.year, p.month - 1, p.day); // not Date.UTC, which reads years 0-99 as 1900-1999
  wall.setUTCHours(p.hour, p.minute, p.second, 0);
  return wall.getTime() - Math.floor(instant / 1000) * 1000;
}

/**
 * A zone's offset per wall-clock hour: Intl takes ~6 µs a reading, and an import reads thousands of times on a few
 * hundred distinct days. Offsets change on the hour (daylight saving, zone rule changes), so an hour's is its minutes'.
 */
const hourOffsets = new Map<string, number>();

/** The instant at which the wall clock in `timeZone` shows the given date and time. */
export function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, timeZone: string, second = 0, ms = 0): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const wall = date.getTime();
  const key = `${timeZone}|${year}|${month}|${day}|${hour}`;
  let offset = hourOffsets.get(key);
  if (offset === undefined) {
    const first = wall - offsetMs(wall, timeZone);
    // Re-check at the candidate: the offset may differ there (daylight saving changes).
    offset = offsetMs(first, timeZone);
    if (hourOffsets.size >= 100_000) hourOffsets.clear();
    hourOffsets.set(key, offset);
  }
  return new Date(wall - offset);
}

/**
 * Dates and times as shop systems and spreadsheets write them, without a UTC offset: 2026-05-01 08:00:00,
 * 2026/5/1 8:00, 2026.05.01, 2026-05-01T08:00, 2026年5月1日 08:00.
 */
const WALL_CLOCK = /^(\d{4})(?:[-/.](\d{1,2})[-/.](\d{1,2})|年(\d{1,2})月(\d{1,2})日)(?:(?:[T ]|\s*)(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?)?$/;

/**
 * The instant a wall-clock text names in `timeZone`; `undefined` when the text is not such a time (it has an
 * offset, or is another format: the caller decides), `null` when it is one the calendar lacks (2026-02-30, 25:00),
 * which JavaScript's Date would silently roll over.
 */
export function wallClockTime(text: string, timeZone: string): Date | null | undefined {
  const m = WALL_CLOCK.exec(text.trim());
  if (!m) return undefined;
  const n = (i: number) => Number(m[i] ?? 0);
  const [year, month, day] = [n(1), m[2] !== undefined ? n(2) : n(4), m[3] !== undefined ? n(3) : n(5)];
  const [hour, minute, second] = [n(6), n(7), n(8)];
  const ms = Number((m[9] ?? '0').padEnd(3, '0'));
  const probe = new Date(0);
  probe.setUTCFullYear(year, month - 1, day);
  if (probe.getUTCDate() !== day || probe.getUTCMonth() !== month - 1 || hour > 23 || minute > 59 || second > 59) return null;
  return zonedInstant(year, month, day, hour, minute, timeZone, second, ms);
}
