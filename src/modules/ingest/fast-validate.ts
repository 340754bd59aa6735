import type { SegmentMessage } from './schema.js';

/**
 * The ingest hot path's validator: the same acceptance rules as the zod schemas in schema.ts (SegmentMessage,
 * BatchRequest), written by hand because zod cost ~7 µs per message and copies every record it checks. It answers
 * only "valid, and here is what zod would have returned" or "not sure": callers then run zod, which gives the
 * error messages (and has the last word). A property test holds the two to the same verdicts and outputs.
 */

type Obj = Record<string, unknown>;

const isRecord = (v: unknown): v is Obj => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  // Anything unusual (class instances, a JSON `__proto__` key that zod's copy would turn into a prototype) goes to zod.
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(v, '__proto__');
};
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** z.union([z.string(), z.number()]).nullish() */
const isIdOrNullish = (v: unknown) => v === undefined || v === null || typeof v === 'string' || isFiniteNumber(v);
const isOptionalRecord = (v: unknown) => v === undefined || isRecord(v);
const isNullishShortString = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.length <= 200);
const isNonEmptyStringOrNumber = (v: unknown) => (typeof v === 'string' && v.length >= 1) || isFiniteNumber(v);
const EXTERNAL_ID_TYPE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const EXTERNAL_ID_KEYS = new Set(['id', 'type', 'collection', 'encoding']);

/** MessageContext: a loose object whose externalIds (if any) are stripped to their known keys, as zod does. */
function checkContext(context: unknown): Obj | null {
  if (!isRecord(context)) return null;
  if (!isOptionalRecord(context.traits)) return null;
  const externalIds = context.externalIds;
  if (externalIds === undefined) return context;
  if (!Array.isArray(externalIds)) return null;
  let stripped: Obj[] | null = null;
  for (let i = 0; i < externalIds.length; i++) {
    const e: unknown = externalIds[i];
    if (!isRecord(e)) return null;
    if (!(typeof e.id === 'string' || isFiniteNumber(e.id))) return null;
    if (typeof e.type !== 'string' || !EXTERNAL_ID_TYPE.test(e.type)) return null;
    if (e.collection !== undefined && typeof e.collection !== 'string') return null;
    if (e.encoding !== undefined && typeof e.encoding !== 'string') return null;
    let extra = false;
    for (const key in e) if (!EXTERNAL_ID_KEYS.has(key)) extra = true;
    if (extra) {
      stripped ??= externalIds.slice(0, i) as Obj[];
      const copy: Obj = { id: e.id, type: e.type };
      if ('collection' in e) copy.collection = e.collection;
      if ('encoding' in e) copy.encoding = e.encoding;
      stripped.push(copy);
    } else if (stripped) stripped.push(e);
  }
  return stripped ? { ...context, externalIds: stripped } : context;
}

/**
 * Returns what `SegmentMessage.safeParse(input).data` would be, or null when the message is invalid or unusual
 * (then ask zod). The input is returned as is when zod's output would equal it.
 */
export function fastParseMessage(input: unknown): SegmentMessage | null {
  if (!isRecord(input)) return null;
  const m = input;
  if (m.messageId !== undefined && (typeof m.messageId !== 'string' || m.messageId.length > 256)) return null;
  if (!isIdOrNullish(m.userId) || !isIdOrNullish(m.anonymousId)) return null;
  if (!isIdOrNullish(m.timestamp) || !isIdOrNullish(m.originalTimestamp) || !isIdOrNullish(m.sentAt)) return null;
  if (!isOptionalRecord(m.integrations)) return null;
  let context: Obj | undefined;
  if (m.context !== undefined) {
    const checked = checkContext(m.context);
    if (!checked) return null;
    if (checked !== m.context) context = checked;
  }
  let event: string | undefined;
  switch (m.type) {
    case 'identify':
      if (!isOptionalRecord(m.traits)) return null;
      break;
    case 'track': {
      if (typeof m.event !== 'string' || !isOptionalRecord(m.properties)) return null;
      const trimmed = m.event.trim();
      if (trimmed.length < 1 || trimmed.length > 200) return null;
      if (trimmed !== m.event) event = trimmed;
      break;
    }
    case 'page':
    case 'screen':
      if (!isNullishShortString(m.name) || !isNullishShortString(m.category) || !isOptionalRecord(m.properties)) return null;
      break;
    case 'group':
      if (!isNonEmptyStringOrNumber(m.groupId) || !isOptionalRecord(m.traits)) return null;
      break;
    case 'alias':
      if (!isNonEmptyStringOrNumber(m.previousId)) return null;
      break;
    default:
      return null;
  }
  if (context === undefined && event === undefined) return m as SegmentMessage;
  return { ...m, ...(context ? { context } : {}), ...(event !== undefined ? { event } : {}) } as SegmentMessage;
}

/** True when `BatchRequest.safeParse(body)` would succeed with an output equal to `body` (else ask zod). */
export function fastBatchEnvelopeOk(body: unknown): body is { batch: Obj[]; context?: Obj; integrations?: Obj; sentAt?: string | number | null } {
  if (!isRecord(body)) return false;
  const batch = body.batch;
  if (!Array.isArray(batch)) return false;
  for (const m of batch) if (!isRecord(m)) return false;
  if (!isOptionalRecord(body.context) || !isOptionalRecord(body.integrations) || !isIdOrNullish(body.sentAt)) return false;
  return body.writeKey === undefined || typeof body.writeKey === 'string';
}

/**
 * An upper bound of `Buffer.byteLength(JSON.stringify(value))`, or Infinity once it passes `budget`: a UTF-16 unit
 * is at most 3 UTF-8 bytes, or 6 as a JSON escape (`\u001f`). Lets the 32 KB check skip serialising the
 * (nearly always small) messages exactly.
 */
export function jsonBytesUpperBound(value: unknown, budget: number): number {
  let total = 0;
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'string') total += 6 * v.length + 2;
    else if (v === null || typeof v === 'boolean' || v === undefined) total += 5;
    // The longest a number prints: a sign, "0.", five zeros and 17 digits, e.g. -0.0000010247164094259521 (25);
    // exponent forms are at most 24 (-1.2345678901234567e-123).
    else if (typeof v === 'number') total += 25;
    else if (Array.isArray(v)) {
      total += 2 + v.length;
      for (const x of v) stack.push(x);
    } else if (typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
      total += 2;
      for (const key in v) {
        total += 6 * key.length + 4;
        stack.push((v as Obj)[key]);
      }
    } else return Infinity; // toJSON, Dates, class instances: measure exactly
    if (total > budget) return Infinity;
  }
  return total;
}
