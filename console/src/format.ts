import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from './session';

/** Dates (in the workspace's time zone), numbers and ¥ amounts, formatted for the chosen language. */
export function useFormat() {
  const { i18n } = useTranslation();
  const session = useSession();
  return useMemo(() => formatters(i18n.language, session.me?.workspace.timezone), [i18n.language, session.me?.workspace.timezone]);
}

type Format = ReturnType<typeof makeFormatters>;

// Building Intl formatters is slow (several ms each): one set per language and time zone, shared by every component.
const cache = new Map<string, Format>();

function formatters(language: string, timeZone: string | undefined): Format {
  const key = `${language}|${timeZone ?? ''}`;
  let format = cache.get(key);
  if (!format) cache.set(key, (format = makeFormatters(language, timeZone)));
  return format;
}

/** Built on first use: a first screen that shows no time or share builds neither (each costs ms, more when cold). */
const lazily = <T,>(make: () => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};

function makeFormatters(language: string, timeZone: string | undefined) {
  const dateTime = lazily(() => new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeStyle: 'short', timeZone }));
  const date = lazily(() => new Intl.DateTimeFormat(language, { dateStyle: 'medium', timeZone }));
  const number = lazily(() => new Intl.NumberFormat(language));
  const money = lazily(() => new Intl.NumberFormat(language, { style: 'currency', currency: 'CNY', currencyDisplay: 'narrowSymbol' }));
  const moneyWhole = lazily(() => new Intl.NumberFormat(language, { style: 'currency', currency: 'CNY', currencyDisplay: 'narrowSymbol', maximumFractionDigits: 0 }));
  const percent = lazily(() => new Intl.NumberFormat(language, { style: 'percent', maximumFractionDigits: 1 }));
  const toDate = (v: string | number | Date) => (v instanceof Date ? v : new Date(v));
  const day = lazily(() => new Intl.DateTimeFormat('en-CA', { year: 'numeric', month: '2-digit', day: '2-digit', timeZone }));
  return {
    /** The workspace-calendar day (YYYY-MM-DD) an instant falls on: what a date picker should show for it. */
    calendarDay: (v: string | number | Date) => day().format(toDate(v)),
    dateTime: (v: string | number | Date | null | undefined) => (v === null || v === undefined ? '—' : dateTime().format(toDate(v))),
    date: (v: string | number | Date | null | undefined) => (v === null || v === undefined ? '—' : date().format(toDate(v))),
    number: (v: number | null | undefined) => (v === null || v === undefined ? '—' : number().format(v)),
    money: (v: number | null | undefined) => (v === null || v === undefined ? '—' : money().format(v)),
    /** A share (0.25 → 25%). */
    percent: (v: number | null | undefined) => (v === null || v === undefined ? '—' : percent().format(v)),
    /** Whole yuan, for headline figures. */
    moneyWhole: (v: number | null | undefined) => (v === null || v === undefined ? '—' : moneyWhole().format(v)),
  };
}
