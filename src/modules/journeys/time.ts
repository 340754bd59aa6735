/** Journey time: time-of-day waits, quiet hours, date triggers (zone arithmetic in platform/time/zones.ts). */

import { isTimeZone, localParts, zonedInstant } from '../../platform/time/zones.js';

export { isTimeZone, localParts, zonedInstant };

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
