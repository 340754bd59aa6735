import { daysBefore, instant, windowBounds, type EvalContext } from './clock.js';
import { add, compareDecimal, decimal, multiplyInt, ZERO, type Decimal } from './decimal.js';
import type { Compare, Condition, ConditionOf, PropertyFilter, TimeOp, Window } from './schema.js';
import { compareNumbers, filterHolds, traitHolds, valueAt } from './values.js';

/** Everything the real-time evaluator needs about one profile: its own rows, nothing from other profiles. */
export interface ProfileState {
  id: number;
  traits: Record<string, unknown>;
  identifierTypes: Set<string>;
  events: Array<{ event: string; timestamp: Date; properties: Record<string, unknown> | null }>;
  orders: Array<{
    orderedAt: Date;
    status: string;
    paidAmount: number;
    refundedAmount: number;
    storeId: string | null;
    channel: string | null;
    items: Array<{ sku: string; category: string | null; quantity: number; refundedQuantity: number }>;
  }>;
  /** tag id → values held (the empty string for a tag without value). */
  tags: Map<string, Set<string>>;
  segments: Set<string>;
  stage: string | null;
  rfm: { r: number; f: number; m: number; class8: string } | null;
}

/** Orders that count: paid or partially refunded (net of refunds); refunded, cancelled and pending never do. */
export const COUNTED_ORDER_STATUSES = ['paid', 'partially_refunded'] as const;

/** Decides one condition for one profile as of `ctx.now`. The batch compiler (compile.ts) mirrors each case. */
export function evaluate(c: Condition, s: ProfileState, ctx: EvalContext): boolean {
  switch (c.kind) {
    case 'and':
      return c.conditions.every((x) => evaluate(x, s, ctx));
    case 'or':
      return c.conditions.some((x) => evaluate(x, s, ctx));
    case 'not':
      return !evaluate(c.condition, s, ctx);
    case 'trait':
      return traitHolds(c, valueAt(s.traits, c.trait.split('.')), ctx);
    case 'event':
      return compareCount(matchingEvents(s, c.event, c.where, c.window, ctx).length, c.count?.op ?? 'gte', c.count?.value ?? 1);
    case 'event_aggregate':
      return eventAggregate(c, s, ctx);
    case 'event_time': {
      const times = matchingEvents(s, c.event, c.where, undefined, ctx).map((e) => e.timestamp.getTime());
      return timeHolds(times, c.which, c.op, c.date, c.days, ctx);
    }
    case 'order': {
      const orders = countedOrders(s, c, ctx);
      const total = orders.reduce<Decimal>((acc, o) => add(acc, netAmount(o)), ZERO);
      if (c.measure === 'count') return compareCount(orders.length, c.op, c.value);
      if (c.measure === 'total') return compareNumbers(total, c.op, decimal(c.value));
      return orders.length > 0 && compareNumbers(total, c.op, multiplyInt(decimal(c.value), orders.length));
    }
    case 'order_time': {
      const times = countedOrders(s, { store: c.store, channel: c.channel }, ctx).map((o) => o.orderedAt.getTime());
      return timeHolds(times, c.which, c.op, c.date, c.days, ctx);
    }
    case 'bought':
      return countedOrders(s, c, ctx).some((o) =>
        o.items.some(
          (i) => i.quantity > i.refundedQuantity && (c.sku === undefined || i.sku === c.sku) && (c.category === undefined || i.category === c.category),
        ),
      );
    case 'tag': {
      const values = s.tags.get(c.tag);
      const has = values !== undefined && (c.value === undefined || values.has(c.value));
      return c.op === 'has' ? has : !has;
    }
    case 'segment':
      return c.op === 'in' ? s.segments.has(c.segment) : !s.segments.has(c.segment);
    case 'lifecycle':
      return s.stage !== null && (c.stages as string[]).includes(s.stage);
    case 'rfm': {
      const r = s.rfm;
      if (!r) return false;
      const inRange = (v: number, range?: [number, number]) => !range || (range[0] <= v && v <= range[1]);
      return (!c.classes || (c.classes as string[]).includes(r.class8)) && inRange(r.r, c.r) && inRange(r.f, c.f) && inRange(r.m, c.m);
    }
    case 'identifier':
      return c.op === 'has' ? s.identifierTypes.has(c.type) : !s.identifierTypes.has(c.type);
    case 'consent': {
      const consents = s.traits.consents;
      return consents !== null && typeof consents === 'object' && !Array.isArray(consents) && (consents as Record<string, unknown>)[c.channel] === true;
    }
  }
}

function compareCount(n: number, op: Compare, value: number): boolean {
  // Counts are integers: compare directly (exact) unless the threshold has a fraction.
  if (!Number.isInteger(value)) return compareNumbers(decimal(n), op, decimal(value));
  const c = n - value;
  return op === 'eq' ? c === 0 : op === 'neq' ? c !== 0 : op === 'gt' ? c > 0 : op === 'gte' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0;
}

/** A predicate over instants: at or before now, and inside the window (bounds computed once per condition). */
function windowTest(window: Window | undefined, ctx: EvalContext): (t: Date) => boolean {
  const now = ctx.now.getTime();
  const { from, to } = windowBounds(window, ctx.now, ctx.timeZone);
  const lo = from?.getTime() ?? -Infinity;
  const hi = to?.getTime() ?? Infinity;
  return (t) => {
    const ms = t.getTime();
    return ms <= now && ms >= lo && ms < hi;
  };
}

function matchingEvents(s: ProfileState, event: string, where: PropertyFilter[] | undefined, window: Window | undefined, ctx: EvalContext) {
  const inWindow = windowTest(window, ctx);
  return s.events.filter((e) => e.event === event && inWindow(e.timestamp) && (where ?? []).every((f) => filterHolds(f, e.properties)));
}

function eventAggregate(c: ConditionOf<'event_aggregate'>, s: ProfileState, ctx: EvalContext): boolean {
  const path = c.property.split('.');
  const values = matchingEvents(s, c.event, c.where, c.window, ctx)
    .map((e) => valueAt(e.properties, path))
    .filter((v): v is number => typeof v === 'number' && Number.isFinite(v))
    .map(decimal);
  const target = decimal(c.value);
  switch (c.fn) {
    case 'sum':
      return compareNumbers(values.reduce(add, ZERO), c.op, target);
    case 'avg':
      return values.length > 0 && compareNumbers(values.reduce(add, ZERO), c.op, multiplyInt(target, values.length));
    case 'min':
    case 'max': {
      if (values.length === 0) return false;
      const pick = values.reduce((a, b) => (c.fn === 'min' ? (compareDecimal(b, a) < 0 ? b : a) : compareDecimal(b, a) > 0 ? b : a));
      return compareNumbers(pick, c.op, target);
    }
  }
}

function countedOrders(s: ProfileState, f: { window?: Window; store?: string; channel?: string }, ctx: EvalContext) {
  const inWindow = windowTest(f.window, ctx);
  return s.orders.filter(
    (o) =>
      (COUNTED_ORDER_STATUSES as readonly string[]).includes(o.status) &&
      inWindow(o.orderedAt) &&
      (f.store === undefined || o.storeId === f.store) &&
      (f.channel === undefined || o.channel === f.channel),
  );
}

function netAmount(o: ProfileState['orders'][number]): Decimal {
  return add(decimal(o.paidAmount), { ...decimal(o.refundedAmount), units: -decimal(o.refundedAmount).units });
}

/** First/last time something happened, against a date or a number of days before now; never happened → false. */
function timeHolds(times: number[], which: 'first' | 'last', op: TimeOp, date: string | undefined, days: number | undefined, ctx: EvalContext): boolean {
  if (times.length === 0) return false;
  const t = times.reduce((a, b) => (which === 'first' ? Math.min(a, b) : Math.max(a, b)));
  switch (op) {
    case 'before':
      return t < instant(date ?? '', ctx.timeZone).getTime();
    case 'after':
      return t >= instant(date ?? '', ctx.timeZone).getTime();
    case 'within_last_days':
      return t >= daysBefore(ctx.now, days ?? 0).getTime();
    case 'not_within_last_days':
      return t < daysBefore(ctx.now, days ?? 0).getTime();
  }
}
