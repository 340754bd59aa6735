import fc from 'fast-check';
import type { Condition } from '../../src/modules/rules/index.js';
import type { SeedProfile } from './seed.js';

/** Random profiles, events, orders and rules for the evaluator agreement property, dense around window edges. */
export const NOW = new Date('2025-06-15T12:00:00.000Z');
const DAY = 86_400_000;

const offsets = fc.oneof(
  fc.constantFrom(7, 30, 90).chain((d) => fc.constantFrom(d * DAY, d * DAY - 1, d * DAY + 1)),
  fc.integer({ min: -2 * DAY, max: 120 * DAY }),
);
const instant = offsets.map((ms) => new Date(NOW.getTime() - ms));
const day = fc.integer({ min: -400, max: 400 }).map((d) => new Date(NOW.getTime() + d * DAY).toISOString().slice(0, 10));
const money = fc.integer({ min: 0, max: 50_000 }).map((c) => c / 100);

const traitValue = fc.oneof(
  fc.constantFrom('gold', 'silver', 'gold member', 'Shanghai', ''),
  fc.integer({ min: -5, max: 100 }),
  fc.constantFrom(0.1, 0.2, 0.3, 2.5),
  fc.boolean(),
  day,
  fc.constantFrom('2024-02-30', '1990-02-29', '2000-02-29', 'not a date', null),
);

export const profileArb: fc.Arbitrary<SeedProfile & { tags: Array<[string, string]>; segment: boolean; stage: string | null; rfm: string | null }> =
  fc.record({
    traits: fc.record(
      {
        plan: traitValue,
        age: traitValue,
        vip: traitValue,
        birthday: traitValue,
        address: fc.record({ city: traitValue }, { requiredKeys: [] }),
        consents: fc.record({ wecom: fc.oneof(fc.boolean(), fc.constant('yes')) }, { requiredKeys: [] }),
      },
      { requiredKeys: [] },
    ),
    identifiers: fc.subarray(['wecom_external_userid', 'phone', 'email']).map((types) => [
      { type: 'userId', value: `u-${Math.random()}` },
      ...types.map((type) => ({ type, value: `${type}-${Math.random()}` })),
    ]),
    events: fc.array(
      fc.record({
        event: fc.constantFrom('view', 'cart', 'buy'),
        timestamp: instant,
        properties: fc.record(
          { price: fc.oneof(fc.integer({ min: 0, max: 300 }), money, fc.constant('12')), sku: fc.constantFrom('A', 'B', 'AB'), flag: fc.boolean() },
          { requiredKeys: [] },
        ),
      }),
      { maxLength: 8 },
    ),
    orders: fc.array(
      fc
        .record({
          status: fc.constantFrom('paid', 'paid', 'partially_refunded', 'refunded', 'cancelled', 'pending'),
          paid: money,
          refundShare: fc.constantFrom(0, 0, 0.5, 1),
          orderedAt: instant,
          storeId: fc.constantFrom('s1', 's2'),
          channel: fc.constantFrom('mall', 'store'),
          items: fc.array(
            fc.record({
              sku: fc.constantFrom('A', 'B', 'C'),
              category: fc.constantFrom('skincare', 'makeup'),
              quantity: fc.integer({ min: 1, max: 3 }),
              refundedQuantity: fc.integer({ min: 0, max: 3 }),
            }),
            { maxLength: 2 },
          ),
        })
        .map((o) => ({
          ...o,
          refunded: Math.round(o.paid * o.refundShare * 100) / 100,
          items: o.items.map((i) => ({ ...i, refundedQuantity: Math.min(i.refundedQuantity, i.quantity) })),
        })),
      { maxLength: 4 },
    ),
    tags: fc.subarray([['tag_a', ''], ['tag_b', 'x'], ['tag_b', 'y']] as Array<[string, string]>, { maxLength: 2 }).map((pairs) =>
      pairs.filter((p, i) => pairs.findIndex((q) => q[0] === p[0]) === i),
    ),
    segment: fc.boolean(),
    stage: fc.constantFrom(null, 'A', 'I', 'P', 'L'),
    rfm: fc.constantFrom(null, 'important_value', 'general_winback'),
  });

const window = fc.option(
  fc.oneof(
    fc.record({ type: fc.constant('last_days' as const), days: fc.constantFrom(7, 30, 90) }),
    fc.record({ type: fc.constant('between' as const), from: fc.constant('2025-04-01'), to: fc.constantFrom('2025-06-01', '2025-06-15T12:00:00.000Z') }),
  ),
  { nil: undefined },
);
const compare = fc.constantFrom('eq', 'neq', 'gt', 'gte', 'lt', 'lte') as fc.Arbitrary<'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte'>;
const filters = fc.option(
  fc.array(
    fc.oneof(
      fc.record({ property: fc.constant('sku'), op: fc.constantFrom('eq' as const, 'neq' as const, 'contains' as const), value: fc.constantFrom('A', 'B') }),
      fc.record({ property: fc.constant('price'), op: fc.constantFrom('gt' as const, 'lte' as const, 'eq' as const), value: fc.constantFrom(12, 100, 0.3) }),
      fc.record({ property: fc.constant('flag'), op: fc.constant('eq' as const), value: fc.boolean() }),
      fc.record({ property: fc.constant('sku'), op: fc.constant('in' as const), values: fc.constant(['A', 'AB']) }),
      fc.record({ property: fc.constant('price'), op: fc.constant('exists' as const) }),
    ),
    { maxLength: 2 },
  ),
  { nil: undefined },
);
const timeOp = fc.oneof(
  fc.record({ op: fc.constantFrom('before' as const, 'after' as const), date: fc.constantFrom('2025-05-16', '2025-03-17T12:00:00.000Z') }),
  fc.record({ op: fc.constantFrom('within_last_days' as const, 'not_within_last_days' as const), days: fc.constantFrom(7, 30, 90) }),
);

const traitCondition = fc.oneof(
  fc.record({ kind: fc.constant('trait' as const), trait: fc.constantFrom('plan', 'address.city'), type: fc.constant('string' as const),
    op: fc.constantFrom('eq' as const, 'neq' as const, 'contains' as const, 'starts_with' as const, 'exists' as const, 'not_exists' as const), value: fc.constantFrom('gold', 'Shanghai', '') }),
  fc.record({ kind: fc.constant('trait' as const), trait: fc.constantFrom('plan', 'vip'), type: fc.constant('string' as const), op: fc.constantFrom('in' as const, 'not_in' as const), values: fc.constant(['gold', 'silver']) }),
  fc.record({ kind: fc.constant('trait' as const), trait: fc.constantFrom('age', 'vip'), type: fc.constant('number' as const),
    op: fc.constantFrom('eq' as const, 'neq' as const, 'gt' as const, 'gte' as const, 'lt' as const, 'lte' as const), value: fc.constantFrom(0, 18, 0.3, 2.5) }),
  fc.record({ kind: fc.constant('trait' as const), trait: fc.constant('age'), type: fc.constant('number' as const), op: fc.constant('between' as const), values: fc.constant([10, 50]) }),
  fc.record({ kind: fc.constant('trait' as const), trait: fc.constant('vip'), type: fc.constant('boolean' as const), op: fc.constantFrom('eq' as const, 'neq' as const, 'exists' as const), value: fc.boolean() }),
  fc.record({ kind: fc.constant('trait' as const), trait: fc.constantFrom('birthday', 'age'), type: fc.constant('date' as const),
    op: fc.constantFrom('before' as const, 'after' as const, 'on' as const), value: day }),
  fc.record({ kind: fc.constant('trait' as const), trait: fc.constant('birthday'), type: fc.constant('date' as const),
    op: fc.constantFrom('within_last_days' as const, 'anniversary_within_days' as const), days: fc.constantFrom(0, 7, 30, 365) }),
  fc.record({ kind: fc.constant('trait' as const), trait: fc.constant('birthday'), type: fc.constant('date' as const), op: fc.constant('between' as const), values: fc.tuple(day, day).map(([a, b]) => (a < b ? [a, b] : [b, a])) }),
);

const leaf: fc.Arbitrary<Condition> = fc.oneof(
  traitCondition,
  fc.record({ kind: fc.constant('event' as const), event: fc.constantFrom('view', 'cart'), where: filters, window, count: fc.option(fc.record({ op: compare, value: fc.integer({ min: 0, max: 3 }) }), { nil: undefined }) }),
  fc.record({ kind: fc.constant('event_aggregate' as const), event: fc.constantFrom('view', 'buy'), where: filters, window, fn: fc.constantFrom('sum' as const, 'avg' as const, 'min' as const, 'max' as const),
    property: fc.constant('price'), op: compare, value: fc.constantFrom(0, 12, 100, 0.3, 150.5) }),
  fc.record({ kind: fc.constant('event_time' as const), event: fc.constantFrom('view', 'buy'), where: filters, which: fc.constantFrom('first' as const, 'last' as const) }).chain((c) => timeOp.map((t) => ({ ...c, ...t }))),
  fc.record({ kind: fc.constant('order' as const), measure: fc.constantFrom('count' as const, 'total' as const, 'average' as const), op: compare, value: fc.constantFrom(0, 1, 2, 100, 250.5),
    window, store: fc.option(fc.constant('s1'), { nil: undefined }), channel: fc.option(fc.constant('mall'), { nil: undefined }) }),
  fc.record({ kind: fc.constant('order_time' as const), which: fc.constantFrom('first' as const, 'last' as const) }).chain((c) => timeOp.map((t) => ({ ...c, ...t }))),
  fc.oneof(
    fc.record({ kind: fc.constant('bought' as const), sku: fc.constantFrom('A', 'C'), window }),
    fc.record({ kind: fc.constant('bought' as const), category: fc.constantFrom('skincare', 'makeup'), window }),
  ),
  fc.record({ kind: fc.constant('tag' as const), op: fc.constantFrom('has' as const, 'has_not' as const), tag: fc.constantFrom('tag_a', 'tag_b'), value: fc.option(fc.constantFrom('x', 'y', ''), { nil: undefined }) }),
  fc.record({ kind: fc.constant('segment' as const), op: fc.constantFrom('in' as const, 'not_in' as const), segment: fc.constant('seg_a') }),
  fc.record({ kind: fc.constant('lifecycle' as const), stages: fc.subarray(['A', 'I', 'P', 'L'] as const, { minLength: 1 }) }),
  fc.record({ kind: fc.constant('rfm' as const), classes: fc.constant(['important_value' as const]) }),
  fc.record({ kind: fc.constant('identifier' as const), op: fc.constantFrom('has' as const, 'has_not' as const), type: fc.constantFrom('wecom_external_userid', 'phone') }),
  fc.record({ kind: fc.constant('consent' as const), channel: fc.constant('wecom') }),
) as unknown as fc.Arbitrary<Condition>;

export const conditionArb: fc.Arbitrary<Condition> = fc.letrec<{ node: Condition }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), conditions: fc.array(tie('node'), { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant('not' as const), condition: tie('node') }),
  ) as fc.Arbitrary<Condition>,
})).node;
