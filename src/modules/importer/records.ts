import { createHash } from 'node:crypto';
import { inStorableDateRange } from '../../platform/http/validation.js';
import { wallClockTime } from '../../platform/time/zones.js';
import { normaliseIdentifier, type Identifier } from '../identity/index.js';
import { MAX_MESSAGE_BYTES, type PreparedMessage } from '../ingest/index.js';
import { amount, genderValue, IDENTIFIER_TYPES, memberColumn, orderRow, orderStatus } from './columns.js';

/** One input record with where it came from, so every reject can name its line. */
export interface SourceRecord {
  line: number;
  record: Record<string, unknown>;
}

export interface Reject {
  line: number;
  reason: string;
}

const TIME_COLUMNS = ['updated_at', 'joined_at', 'created_at'];

/** What a column is, by its name as given: worked out once per name (a file has few), not once per cell. */
const roles = new Map<string, { key: string; idType: string | undefined; isTime: boolean }>();
function columnRole(rawKey: string) {
  let role = roles.get(rawKey);
  if (!role) {
    const { key, known } = memberColumn(rawKey);
    role = { key, idType: known ? IDENTIFIER_TYPES.get(key) : undefined, isTime: known && TIME_COLUMNS.includes(key) };
    if (roles.size < 10_000) roles.set(rawKey, role); // JSON lines may name anything: keep the cache bounded
  }
  return role;
}

/**
 * A member row becomes an identify message, built directly in its stored shape (no Segment envelope to validate:
 * the columns are known). Its messageId is a hash of the row's content, so importing the same file again is
 * applied once and changes nothing, while a changed row is a new fact. The row is anchored by its own
 * identifiers (member_no, phone…): it needs no userId or anonymousId, and none is invented.
 */
export function memberRowToMessage(rec: SourceRecord, receivedAt: Date, timeZone = 'UTC'): { message: PreparedMessage } | { reject: Reject } {
  const traits: Record<string, unknown> = {};
  const externalIds: Array<{ id: string; type: string; collection: string; encoding: string }> = [];
  let userIdGiven: string | undefined;
  let anonymousIdGiven: string | undefined;
  let timestamp: Date | undefined;
  const contacts: { email?: string; phone?: string } = {};
  for (const rawKey in rec.record) {
    const rawValue = rec.record[rawKey];
    if (rawValue === undefined || rawValue === null || rawValue === '') continue;
    const { key, idType, isTime } = columnRole(rawKey);
    const value = typeof rawValue === 'string' ? rawValue.trim() : rawValue;
    if (idType === 'userId') userIdGiven = String(value);
    else if (idType === 'anonymousId') anonymousIdGiven = String(value);
    else if (idType === 'email' || idType === 'phone') {
      // In a member file a malformed phone or email is bad data: reject the row rather than drop the contact.
      const normalised = normaliseIdentifier(idType, value);
      if (normalised === null) return { reject: { line: rec.line, reason: `${key} "${String(value)}" is not a valid ${idType}` } };
      traits[idType] = value;
      contacts[idType] = normalised;
    }
    else if (idType) externalIds.push({ id: String(value), type: idType, collection: 'users', encoding: 'none' });
    else if (isTime && !timestamp) {
      // A time without an offset (2026-01-05, 2026/1/5 20:30, 2026年1月5日) is the brand's wall clock.
      const local = wallClockTime(String(value), timeZone);
      const d = local === undefined ? new Date(String(value)) : local;
      if (!d || Number.isNaN(d.getTime()) || !inStorableDateRange(d)) return { reject: { line: rec.line, reason: `${key} "${String(value)}" is not a date` } };
      timestamp = d;
      traits[key] = d.toISOString();
    } else traits[key] = key === 'gender' ? genderValue(value) : value;
  }
  const userId = normaliseIdentifier('userId', userIdGiven);
  const anonymousId = normaliseIdentifier('anonymousId', anonymousIdGiven);
  if ((userIdGiven !== undefined || anonymousIdGiven !== undefined) && userId === null && anonymousId === null) {
    return { reject: { line: rec.line, reason: `${JSON.stringify(userIdGiven ?? anonymousIdGiven)} is a placeholder, not an id: give a real user_id or anonymous_id` } };
  }
  // The identifiers in the order ingest extracts them (prepareMessages): userId, anonymousId, email, phone, external ids.
  const identifiers: Identifier[] = [];
  const add = (type: string, v: string | null) => {
    if (v !== null && !identifiers.some((i) => i.type === type && i.value === v)) identifiers.push({ type, value: v });
  };
  add('userId', userId);
  add('anonymousId', anonymousId);
  add('email', contacts.email ?? null);
  add('phone', contacts.phone ?? null);
  for (const ext of externalIds) add(ext.type, normaliseIdentifier(ext.type, ext.id));
  if (!identifiers.length) {
    return { reject: { line: rec.line, reason: 'no identifier: give member_no, phone, email, user_id or a WeChat/WeCom id' } };
  }
  const json = JSON.stringify(rec.record);
  if (json.length > MAX_MESSAGE_BYTES) return { reject: { line: rec.line, reason: `row is ${json.length} bytes; the limit is ${MAX_MESSAGE_BYTES} (32 KB)` } };
  return {
    message: {
      index: rec.line,
      messageId: `import:member:${createHash('sha1').update(json).digest('hex')}`,
      type: 'identify',
      event: null,
      userId,
      anonymousId,
      timestamp: timestamp ?? receivedAt,
      receivedAt,
      properties: null,
      traits,
      context: { externalIds, library: { name: 'siyu-import' } },
      identifiers,
    },
  };
}


/** The CSV columns read as the order's own (with the identifier columns): repeated on each of its rows. Other columns
 * are not imported, so a per-item column the importer does not know (a barcode, an item discount) may differ. */
const ORDER_COLUMNS = new Set(['store_id', 'guide_id', 'channel', 'status', 'currency', 'total_amount', 'discount_amount', 'shipping_amount',
  'paid_amount', 'refunded_amount', 'ordered_at', 'paid_at', 'refunded_at', 'cancelled_at']);

export interface OrderGroup {
  line: number;
  order: Record<string, unknown>;
  /** Why the order cannot be imported as its rows stand (its rows disagree). */
  reject?: string;
}

/**
 * Order rows: JSON lines hold whole orders (the API's shape); CSV holds one row per item, and consecutive rows
 * with the same order_id form one order. Its later rows may leave the order's columns empty (as Shopify's export
 * does) but must not contradict the first: which of two statuses, amounts or customers is the order's cannot be
 * known, so such an order is rejected whole rather than imported with the first row's values.
 */
export function orderRecordsToOrders(records: SourceRecord[]): OrderGroup[] {
  const out: OrderGroup[] = [];
  let first: Record<string, unknown> | undefined;
  for (const rec of records) {
    if ('orderId' in rec.record || 'customer' in rec.record) {
      out.push({ line: rec.line, order: rec.record });
      first = undefined;
      continue;
    }
    const r = orderRow(rec.record);
    const orderId = String(r.order_id ?? '').trim();
    const last = out[out.length - 1];
    const item = r.sku ? { sku: String(r.sku), name: r.item_name ?? r.name ?? undefined, category: r.category || undefined, quantity: amount(r.quantity) ?? 1, price: amount(r.price) } : undefined;
    if (last && first && last.order.orderId === orderId && orderId) {
      if (item) (last.order.items as unknown[]).push(item);
      last.reject ??= disagreement(first, r, last.line, rec.line);
      continue;
    }
    first = r;
    const customer: Record<string, unknown> = {};
    const externalIds: Array<{ type: string; id: string }> = [];
    for (const [k, v] of Object.entries(r)) {
      const t = IDENTIFIER_TYPES.get(k);
      if (!t || v === '' || v === undefined) continue;
      if (t === 'userId' || t === 'anonymousId' || t === 'email' || t === 'phone') customer[t] = String(v);
      else externalIds.push({ type: t, id: String(v) });
    }
    if (externalIds.length) customer.externalIds = externalIds;
    out.push({
      line: rec.line,
      order: {
        orderId,
        customer,
        storeId: r.store_id || undefined,
        guideId: r.guide_id || undefined,
        channel: r.channel || undefined,
        status: orderStatus(r.status) || undefined,
        currency: r.currency || undefined,
        totalAmount: amount(r.total_amount),
        discountAmount: amount(r.discount_amount),
        shippingAmount: amount(r.shipping_amount),
        paidAmount: amount(r.paid_amount),
        refundedAmount: amount(r.refunded_amount),
        orderedAt: r.ordered_at,
        paidAt: r.paid_at || undefined,
        refundedAt: r.refunded_at || undefined,
        cancelledAt: r.cancelled_at || undefined,
        items: item ? [item] : [],
      },
    });
  }
  return out;
}

/** The first order column a later row of the order fills differently from its first row, as a reject reason. */
function disagreement(first: Record<string, unknown>, row: Record<string, unknown>, firstLine: number, line: number): string | undefined {
  for (const [k, v] of Object.entries(row)) {
    if (v === undefined || v === null || v === '' || !(ORDER_COLUMNS.has(k) || IDENTIFIER_TYPES.has(k))) continue;
    const was = first[k] ?? '';
    const same = String(v) === String(was) || (String(was).trim() !== '' && Number(v) === Number(was)); // 300 and 300.00
    if (!same) {
      return `${k} is "${String(v)}" on line ${line} but "${String(was)}" on line ${firstLine}: the rows of one order must agree on its order columns`;
    }
  }
  return undefined;
}
