/**
 * Identifier types, their defaults (priority, limit per profile) and value normalisation.
 * The defaults follow the data-center issue: one userId, member number, phone and unionid per person; a few emails
 * and openids/external ids; anonymous ids without limit.
 */
export interface IdentifierRule {
  priority: number;
  /** At most this many identifiers of the type in one profile; null = unlimited. */
  maxPerProfile: number | null;
}

export const DEFAULT_IDENTIFIER_RULES: Record<string, IdentifierRule> = {
  userId: { priority: 100, maxPerProfile: 1 },
  member_no: { priority: 90, maxPerProfile: 1 },
  phone: { priority: 80, maxPerProfile: 1 },
  wechat_unionid: { priority: 70, maxPerProfile: 1 },
  email: { priority: 60, maxPerProfile: 5 },
  wechat_openid: { priority: 50, maxPerProfile: 5 },
  wecom_external_userid: { priority: 50, maxPerProfile: 5 },
  anonymousId: { priority: 10, maxPerProfile: null },
};
/** Any other external id type (context.externalIds[].type). */
export const DEFAULT_OTHER_RULE: IdentifierRule = { priority: 40, maxPerProfile: 5 };

export type IdentifierRules = (type: string) => IdentifierRule;

/** A rule by type. Own properties only: a type named `constructor` or `toString` is a type like any other. */
export function rulesFrom(overrides: Record<string, IdentifierRule>): IdentifierRules {
  return (type) =>
    (Object.hasOwn(overrides, type) ? overrides[type] : undefined) ??
    (Object.hasOwn(DEFAULT_IDENTIFIER_RULES, type) ? DEFAULT_IDENTIFIER_RULES[type] : undefined) ??
    DEFAULT_OTHER_RULE;
}

export interface Identifier {
  type: string;
  value: string;
}

/** Values that clients send when they have no id: never identifiers, never merged on. */
const PLACEHOLDERS = new Set([
  '', 'null', 'undefined', 'nil', 'none', 'nan', '0', '-1', 'anonymous', 'anon', 'guest', 'unknown', 'n/a', 'na',
  '[object object]', 'object object', '{}', '[]', 'true', 'false', '00000000-0000-0000-0000-000000000000',
]);

export const MAX_IDENTIFIER_LENGTH = 256;

export function isPlaceholder(value: string): boolean {
  return PLACEHOLDERS.has(value.trim().toLowerCase());
}

/** Normalises a value for its type, or returns null when it cannot be an identifier (placeholder, malformed). */
export function normaliseIdentifier(type: string, raw: unknown): string | null {
  if (typeof raw === 'number' && Number.isFinite(raw)) raw = String(raw);
  if (typeof raw !== 'string') return null;
  if (type === 'email' || type === 'phone') {
    const value = raw.trim();
    if (isPlaceholder(value) || value.length > MAX_IDENTIFIER_LENGTH) return null;
    return type === 'email' ? normaliseEmail(value) : normalisePhone(value);
  }
  const value = cleanOpaqueId(type, raw);
  if (isPlaceholder(value) || value.length > MAX_IDENTIFIER_LENGTH) return null;
  return value;
}

/**
 * Ids are opaque and kept as sent, except for what no id contains: invisible format characters (a zero-width space
 * or direction mark pasted from a chat app or a spreadsheet would otherwise make a second identity of one member).
 * Member numbers are also typed by people, so full-width ＭＢ００１ from a Chinese input method is MB001.
 * ASCII, nearly every id, takes the fast path.
 */
function cleanOpaqueId(type: string, raw: string): string {
  if (!NON_ASCII.test(raw)) return raw.trim();
  const form = type === 'member_no' ? raw.normalize('NFKC') : raw;
  return form.replace(/\p{Cf}/gu, '').trim();
}
const NON_ASCII = /[^\x00-\x7f]/;

/** Lower case, in Unicode's compatibility form: a full-width ＠ or ｗａｎｇ from a Chinese input method is the ASCII address, and invisible format characters pasted along are dropped. */
export function normaliseEmail(value: string): string | null {
  const email = value.normalize('NFKC').replace(/\p{Cf}/gu, '').trim().toLowerCase();
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email) ? email : null;
}

/**
 * E.164, with +86 (mainland China) as the default country code for numbers written without one. Written as people
 * and apps write them: full-width digits and signs from a Chinese input method (１３８－００１３…, ＋８６), Chinese
 * parentheses, dashes of any width, and the invisible direction marks an iPhone contact puts around a copied number
 * (U+202D … U+202C) or zero-width spaces from chat apps. A masked number (138****8000) is never one.
 */
export function normalisePhone(value: string): string | null {
  let s = value
    .normalize('NFKC')
    .replace(/\p{Cf}/gu, '')
    .trim()
    .replace(/[\s\-().\u2010-\u2015\u2212]/g, '');
  if (s.startsWith('00')) s = `+${s.slice(2)}`;
  if (!s.startsWith('+')) {
    if (!/^\d+$/.test(s)) return null;
    if (/^86 ?1\d{10}$/.test(s)) s = `+${s}`;
    else s = `+86${s.replace(/^0+/, '')}`;
  }
  if (!/^\+[1-9]\d{6,14}$/.test(s)) return null;
  if (s.startsWith('+86') && !/^\+86(1\d{10}|[2-9]\d{6,10})$/.test(s)) return null;
  return s;
}

export const identifierKey = (i: Identifier) => `${i.type}\u0000${i.value}`;

/** The identifier an event belongs to when its identifiers conflict: highest priority, then type, then value. */
export function pickAnchor<T extends Identifier>(identifiers: T[], rules: IdentifierRules): T | undefined {
  let best: T | undefined;
  for (const i of identifiers) {
    if (!best) {
      best = i;
      continue;
    }
    const d = rules(i.type).priority - rules(best.type).priority;
    if (d > 0 || (d === 0 && (i.type < best.type || (i.type === best.type && i.value < best.value)))) best = i;
  }
  return best;
}
