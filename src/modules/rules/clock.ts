import { zonedInstant } from '../../platform/time/zones.js';
import type { Window } from './schema.js';

/**
 * What a rule is evaluated against besides data: the instant `now` and the calendar day it falls on in the
 * workspace's time zone. Both evaluators get the same context, computed here once, so they cannot disagree on days.
 */
export interface EvalContext {
  now: Date;
  /** `now` as a calendar day (YYYY-MM-DD) in the workspace's time zone. */
  today: string;
  /** The workspace's time zone: a date in a rule (a window's from and to, before / after) is a day of its calendar. */
  timeZone: string;
}

const DAY_MS = 86_400_000;

export function evalContext(now: Date, timeZone = 'UTC'): EvalContext {
  return { now, today: dayIn(now, timeZone), timeZone };
}

/**
 * One formatter per time zone: building an Intl.DateTimeFormat costs ~0.3 ms (ICU), which every real-time pass paid
 * for its context (44 of ~1,400 ms of a pass profile in claims of 100).
 */
const dayFormats = new Map<string, Intl.DateTimeFormat>();

export function dayIn(instant: Date, timeZone: string): string {
  let format = dayFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
    if (dayFormats.size >= 1_000) dayFormats.clear();
    dayFormats.set(timeZone, format);
  }
  const parts = format.formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** The calendar day `days` after (or before, if negative) a YYYY-MM-DD day. */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** The instant `days` × 24 h before now: windows are exact durations, not calendar days. */
export function daysBefore(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/**
 * The inclusive lower and exclusive upper bound of a window; `now` always caps the upper end (inclusive). Dates are
 * days of the workspace's calendar, both included: 'between 2026-11-01 and 2026-11-11' is from 00:00 on the 1st to
 * the end of the 11th, Beijing time for a Shanghai brand. Times (with an offset) are taken as written.
 */
export function windowBounds(window: Window | undefined, now: Date, timeZone = 'UTC'): { from?: Date; to?: Date } {
  if (!window) return {};
  if (window.type === 'last_days') return { from: daysBefore(now, window.days) };
  return { from: instant(window.from, timeZone), to: window.to.length === 10 ? instant(addDays(window.to, 1), timeZone) : instant(window.to) };
}

/** A YYYY-MM-DD date is its first instant in `timeZone`; a datetime (which carries its offset) is taken as written. */
export function instant(text: string, timeZone = 'UTC'): Date {
  if (text.length !== 10) return new Date(text);
  const [year, month, day] = text.split('-').map(Number) as [number, number, number];
  return zonedInstant(year, month, day, 0, 0, timeZone);
}

/**
 * The month-days (MM-DD) from today to today + days: a birthday on one of them has its anniversary in the window.
 * Feb 29 birthdays count on Mar 1 in years without one.
 */
export function anniversaryDays(today: string, days: number): string[] {
  const out = new Set<string>();
  for (let i = 0; i <= Math.min(days, 366); i++) {
    const day = addDays(today, i);
    out.add(day.slice(5));
    const year = Number(day.slice(0, 4));
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    if (!leap && day.slice(5) === '03-01') out.add('02-29');
  }
  return [...out];
}

/** A JSON value as a valid date trait (YYYY-MM-DD, year 1000–9999), or undefined; mirrors SQL rules_trait_date. */
export function traitDate(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const day = value.slice(0, 10);
  if (!/^[1-9]\d{3}-\d{2}-\d{2}$/.test(day)) return undefined;
  const time = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(time) || new Date(time).toISOString().slice(0, 10) !== day) return undefined;
  return day;
}
