/** Wall-clock arithmetic in IANA time zones (with Intl only): time-of-day waits, quiet hours, date triggers. */

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
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

export function localParts(instant: Date, timeZone: string): LocalParts & { second: number } {
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
function offsetMs(instant: Date, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wall - Math.floor(instant.getTime() / 1000) * 1000;
}

/** The instant at which the wall clock in `timeZone` shows the given date and time. */
export function zonedInstant(year: number, month: number, day: number, hour: number, minute: number, timeZone: string): Date {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  const first = guess - offsetMs(new Date(guess), timeZone);
  // Re-check at the candidate: the offset may differ there (daylight saving changes).
  return new Date(guess - offsetMs(new Date(first), timeZone));
}

const parseTime = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number);
  return { hour: h ?? 0, minute: m ?? 0 };
};

/** The first instant at or after `after` when the local time is `hhmm` on one of `weekdays` (any day if absent). */
export function nextTimeOfDay(after: Date, hhmm: string, timeZone: string, weekdays?: number[]): Date {
  const { hour, minute } = parseTime(hhmm);
  const today = localParts(after, timeZone);
  for (let add = 0; add <= 8; add++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + add));
    const candidate = zonedInstant(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), hour, minute, timeZone);
    if (candidate.getTime() < after.getTime()) continue;
    if (weekdays?.length && !weekdays.includes(localParts(candidate, timeZone).weekday)) continue;
    return candidate;
  }
  throw new Error(`no ${hhmm} on weekdays ${weekdays?.join(',')} within a week`);
}

const minutesOf = (p: { hour: number; minute: number }) => p.hour * 60 + p.minute;

/** Whether `instant` falls in the quiet window [start, end) local time; the window may cross midnight (21:00–09:00). */
export function inQuietHours(instant: Date, start: string, end: string, timeZone: string): boolean {
  const now = minutesOf(localParts(instant, timeZone));
  const s = minutesOf(parseTime(start));
  const e = minutesOf(parseTime(end));
  if (s === e) return false;
  return s < e ? now >= s && now < e : now >= s || now < e;
}

/** The moment a send held by quiet hours may go: `instant` itself when outside them, else the window's end. */
export function nextAllowedSend(instant: Date, start: string, end: string, timeZone: string): Date {
  return inQuietHours(instant, start, end, timeZone) ? nextTimeOfDay(instant, end, timeZone) : instant;
}

/** The local calendar day (YYYY-MM-DD) of an instant. */
export function localDay(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}
