import { expect, it } from 'vitest';
import type { Condition } from '../../src/modules/rules/index.js';
import { computeRfm, refreshStages } from '../../src/modules/lifecycle/index.js';
import { createSegment, processProfileChanges, recomputeRuleSegment } from '../../src/modules/segments/index.js';
import { applyTag, createTag, createTagGroup } from '../../src/modules/tags/index.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { markChanged, newTestWorkspace, seedProfile, type SeedProfile } from './seed.js';

/**
 * Scenario table: profiles with data → evaluate at given instants → assert members. Each check runs the real-time
 * evaluator (profiles taken off the change feed) and the batch recompute, and both must give the expected members.
 * Times are relative to T0 (Asia/Shanghai workspace: T0 is 20:00 local on 2025-06-15).
 */
const T0 = new Date('2025-06-15T12:00:00.000Z');
const DAY = 86_400_000;
const at = (ms: number) => new Date(T0.getTime() + ms);

interface Scenario {
  name: string;
  profiles: Record<string, SeedProfile & { tag?: string }>;
  rule: Condition;
  checks: Array<{ now: Date; members: string[] }>;
  /** Derived state a rule reads (stages, RFM) computed before the checks. */
  derive?: 'stages' | 'rfm';
}

const scenarios: Scenario[] = [
  {
    name: 'trait string equals / in / contains',
    profiles: { alice: { traits: { plan: 'gold member' } }, bob: { traits: { plan: 'silver' } }, carol: { traits: { plan: 42 } } },
    rule: { kind: 'or', conditions: [{ kind: 'trait', trait: 'plan', type: 'string', op: 'contains', value: 'gold' }, { kind: 'trait', trait: 'plan', type: 'string', op: 'in', values: ['silver'] }] },
    checks: [{ now: T0, members: ['alice', 'bob'] }],
  },
  {
    name: 'trait number between and not equals (missing counts as not equal)',
    profiles: { a: { traits: { age: 18 } }, b: { traits: { age: 30.5 } }, c: { traits: {} } },
    rule: { kind: 'and', conditions: [{ kind: 'trait', trait: 'age', type: 'number', op: 'neq', value: 18 }, { kind: 'not', condition: { kind: 'trait', trait: 'age', type: 'number', op: 'between', values: [31, 99] } }] },
    checks: [{ now: T0, members: ['b', 'c'] }],
  },
  {
    name: 'trait date within the last N days, in the workspace time zone',
    profiles: { signed: { traits: { signup_date: '2025-06-08' } }, older: { traits: { signup_date: '2025-06-07' } }, bad: { traits: { signup_date: '2025-02-30' } } },
    rule: { kind: 'trait', trait: 'signup_date', type: 'date', op: 'within_last_days', days: 7 },
    // 15:59:59.999Z is still 06-15 in Shanghai; 16:00Z is 06-16 there, so 06-08 falls out of the window.
    checks: [{ now: new Date('2025-06-15T15:59:59.999Z'), members: ['signed'] }, { now: new Date('2025-06-15T16:00:00.000Z'), members: [] }],
  },
  {
    name: 'birthday anniversary in the next N days (Feb 29 counts on Mar 1 in other years)',
    profiles: { june: { traits: { birthday: '1990-06-20' } }, july: { traits: { birthday: '1991-07-01' } }, leap: { traits: { birthday: '2000-02-29' } } },
    rule: { kind: 'trait', trait: 'birthday', type: 'date', op: 'anniversary_within_days', days: 5 },
    checks: [{ now: T0, members: ['june'] }, { now: new Date('2025-02-26T00:00:00.000Z'), members: ['leap'] }],
  },
  {
    name: 'event between two dates: whole days of the workspace calendar (Shanghai), both included',
    profiles: {
      // 2025-06-01 00:30 and 2025-06-10 23:30 in Shanghai: inside; 2025-05-31 23:30 and 2025-06-11 00:30: outside.
      first: { events: [{ event: 'Order Paid', timestamp: new Date('2025-05-31T16:30:00.000Z') }] },
      last: { events: [{ event: 'Order Paid', timestamp: new Date('2025-06-10T15:30:00.000Z') }] },
      before: { events: [{ event: 'Order Paid', timestamp: new Date('2025-05-31T15:30:00.000Z') }] },
      after: { events: [{ event: 'Order Paid', timestamp: new Date('2025-06-10T16:30:00.000Z') }] },
    },
    rule: { kind: 'event', event: 'Order Paid', window: { type: 'between', from: '2025-06-01', to: '2025-06-10' } },
    checks: [{ now: T0, members: ['first', 'last'] }],
  },
  {
    name: 'first event before / after a date: the date starts at local midnight',
    profiles: {
      early: { events: [{ event: 'Signed Up', timestamp: new Date('2025-05-31T15:59:59.000Z') }] }, // 23:59:59 on 05-31 in Shanghai
      onTheDay: { events: [{ event: 'Signed Up', timestamp: new Date('2025-05-31T16:00:00.000Z') }] }, // 00:00 on 06-01
    },
    rule: { kind: 'event_time', event: 'Signed Up', which: 'first', op: 'before', date: '2025-06-01' },
    checks: [{ now: T0, members: ['early'] }],
  },
  {
    name: 'event performed within the last 30 days: the window edge is inclusive',
    profiles: { viewer: { events: [{ event: 'Product Viewed', timestamp: T0 }] }, none: {} },
    rule: { kind: 'event', event: 'Product Viewed', window: { type: 'last_days', days: 30 } },
    checks: [
      { now: at(-1), members: [] },
      { now: T0, members: ['viewer'] },
      { now: at(30 * DAY), members: ['viewer'] },
      { now: at(30 * DAY + 1), members: [] },
    ],
  },
  {
    name: 'event not performed, and count with a property filter',
    profiles: {
      three: { events: [1, 2, 3].map((i) => ({ event: 'Product Added', timestamp: at(-i * DAY), properties: { category: 'skincare' } })) },
      mixed: { events: [{ event: 'Product Added', timestamp: at(-DAY), properties: { category: 'makeup' } }, { event: 'Product Added', timestamp: at(-DAY), properties: { category: 'skincare' } }] },
      idle: {},
    },
    rule: {
      kind: 'or',
      conditions: [
        { kind: 'event', event: 'Product Added', count: { op: 'eq', value: 0 } },
        { kind: 'event', event: 'Product Added', where: [{ property: 'category', op: 'eq', value: 'skincare' }], count: { op: 'gte', value: 3 } },
      ],
    },
    checks: [{ now: T0, members: ['idle', 'three'] }],
  },
  {
    name: 'an event property named like a built-in object property exists only when the event has it',
    profiles: {
      has: { events: [{ event: 'Checkout', timestamp: at(-DAY), properties: { constructor: 'x', toString: { a: 1 } } }] },
      lacks: { events: [{ event: 'Checkout', timestamp: at(-DAY), properties: { value: 1 } }] },
    },
    rule: {
      kind: 'and',
      conditions: [
        { kind: 'event', event: 'Checkout', where: [{ property: 'constructor', op: 'exists' }] },
        { kind: 'event', event: 'Checkout', where: [{ property: 'toString', op: 'exists' }] },
        { kind: 'not', condition: { kind: 'event', event: 'Checkout', where: [{ property: 'valueOf', op: 'exists' }] } },
      ],
    },
    checks: [{ now: T0, members: ['has'] }],
  },
  {
    name: 'event aggregate: sum and average of a numeric property in a window',
    profiles: {
      big: { events: [{ event: 'Checkout', timestamp: at(-DAY), properties: { value: 0.1 } }, { event: 'Checkout', timestamp: at(-DAY), properties: { value: 0.2 } }] },
      small: { events: [{ event: 'Checkout', timestamp: at(-DAY), properties: { value: 0.1 } }, { event: 'Checkout', timestamp: at(-40 * DAY), properties: { value: 5 } }] },
    },
    rule: { kind: 'event_aggregate', event: 'Checkout', fn: 'sum', property: 'value', op: 'gte', value: 0.3, window: { type: 'last_days', days: 30 } },
    checks: [{ now: T0, members: ['big'] }],
  },
  {
    name: 'first and last time an event was performed',
    profiles: {
      early: { events: [{ event: 'Signed Up', timestamp: new Date('2024-01-01T00:00:00Z') }] },
      late: { events: [{ event: 'Signed Up', timestamp: new Date('2025-06-01T00:00:00Z') }] },
    },
    rule: { kind: 'event_time', event: 'Signed Up', which: 'first', op: 'before', date: '2025-01-01' },
    checks: [{ now: T0, members: ['early'] }],
  },
  {
    name: 'order total in 90 days, refunds excluded',
    profiles: {
      net: { orders: [{ paid: 300, refunded: 120, status: 'partially_refunded', orderedAt: at(-10 * DAY) }] },
      refunded: { orders: [{ paid: 500, refunded: 500, status: 'refunded', orderedAt: at(-10 * DAY) }, { paid: 100, orderedAt: at(-5 * DAY) }] },
      old: { orders: [{ paid: 900, orderedAt: at(-91 * DAY) }] },
      pending: { orders: [{ paid: 900, status: 'pending', orderedAt: at(-DAY) }] },
    },
    rule: { kind: 'order', measure: 'total', op: 'gte', value: 180, window: { type: 'last_days', days: 90 } },
    checks: [{ now: T0, members: ['net'] }, { now: at(-5 * DAY), members: ['net', 'old'] }],
  },
  {
    name: 'order count and average amount',
    profiles: {
      repeat: { orders: [{ paid: 100, orderedAt: at(-DAY) }, { paid: 300, orderedAt: at(-2 * DAY) }] },
      once: { orders: [{ paid: 1000, orderedAt: at(-DAY) }] },
    },
    rule: { kind: 'and', conditions: [{ kind: 'order', measure: 'count', op: 'gte', value: 2 }, { kind: 'order', measure: 'average', op: 'eq', value: 200 }] },
    checks: [{ now: T0, members: ['repeat'] }],
  },
  {
    name: 'last order more than 90 days ago (lapsing buyers), first order after a date',
    profiles: {
      lapsed: { orders: [{ paid: 10, orderedAt: at(-90 * DAY) }] },
      recent: { orders: [{ paid: 10, orderedAt: at(-100 * DAY) }, { paid: 10, orderedAt: at(-DAY) }] },
      never: {},
    },
    rule: { kind: 'order_time', which: 'last', op: 'not_within_last_days', days: 90 },
    checks: [{ now: T0, members: [] }, { now: at(1), members: ['lapsed'] }],
  },
  {
    name: 'bought a SKU or a category (fully refunded lines do not count)',
    profiles: {
      cream: { orders: [{ paid: 50, orderedAt: at(-DAY), items: [{ sku: 'CREAM-1', category: 'skincare' }] }] },
      returned: { orders: [{ paid: 50, orderedAt: at(-DAY), status: 'partially_refunded', refunded: 50, items: [{ sku: 'CREAM-1', category: 'skincare', refundedQuantity: 1 }, { sku: 'LIP-1', category: 'makeup' }] }] },
    },
    rule: { kind: 'bought', category: 'skincare', window: { type: 'last_days', days: 30 } },
    checks: [{ now: T0, members: ['cream'] }],
  },
  {
    name: 'identifier and consent (reachable on WeCom and consented)',
    profiles: {
      reachable: { identifiers: [{ type: 'userId', value: 'r1' }, { type: 'wecom_external_userid', value: 'wm1' }], traits: { consents: { wecom: true } } },
      noConsent: { identifiers: [{ type: 'userId', value: 'r2' }, { type: 'wecom_external_userid', value: 'wm2' }], traits: { consents: { wecom: false } } },
      unreachable: { traits: { consents: { wecom: true } } },
    },
    rule: { kind: 'and', conditions: [{ kind: 'identifier', op: 'has', type: 'wecom_external_userid' }, { kind: 'consent', channel: 'wecom' }] },
    checks: [{ now: T0, members: ['reachable'] }],
  },
  {
    name: 'has tag with a value / has not tag',
    profiles: { skin: { tag: 'skincare' }, lips: { tag: 'makeup' }, untagged: {} },
    rule: { kind: 'or', conditions: [{ kind: 'tag', op: 'has', tag: '$TAG', value: 'skincare' }, { kind: 'tag', op: 'has_not', tag: '$TAG' }] },
    checks: [{ now: T0, members: ['skin', 'untagged'] }],
  },
  {
    name: 'lifecycle stage from AIPL (views → I, one order → P, two → L)',
    profiles: {
      interested: { events: [{ event: 'Product Viewed', timestamp: at(-DAY) }] },
      buyer: { orders: [{ paid: 10, orderedAt: at(-DAY) }] },
      loyal: { orders: [{ paid: 10, orderedAt: at(-DAY) }, { paid: 10, orderedAt: at(-2 * DAY) }] },
    },
    derive: 'stages',
    rule: { kind: 'lifecycle', stages: ['P', 'L'] },
    checks: [{ now: T0, members: ['buyer', 'loyal'] }],
  },
  {
    name: 'RFM class (8-class model against the mean)',
    profiles: {
      vip: { orders: [{ paid: 1000, orderedAt: at(-DAY) }, { paid: 1000, orderedAt: at(-2 * DAY) }] },
      lost: { orders: [{ paid: 10, orderedAt: at(-200 * DAY) }] },
      mid: { orders: [{ paid: 10, orderedAt: at(-3 * DAY) }] },
    },
    derive: 'rfm',
    rule: { kind: 'rfm', classes: ['important_value'] },
    checks: [{ now: T0, members: ['vip'] }],
  },
];

describeEachDatabase('rule scenarios', (ctx) => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      const db = ctx.database.db;
      const ws = await newTestWorkspace(ctx.database);
      const group = await createTagGroup(db, ws.id, { name: 'preference', category: 'preference' });
      const tag = await createTag(db, ws.id, { groupId: group.id, name: 'preferred_category' });
      const ids = new Map<string, number>();
      for (const [alias, seed] of Object.entries(scenario.profiles)) {
        const id = await seedProfile(db, ws.id, seed);
        ids.set(alias, id);
        if (seed.tag) await applyTag(db, ws.id, tag.id, [id], { value: seed.tag, actor: 'test' });
      }
      if (scenario.derive === 'stages') await refreshStages(db, ws.id, T0);
      if (scenario.derive === 'rfm') await computeRfm(db, ws.id, T0);
      const rule = JSON.parse(JSON.stringify({ version: 1, condition: scenario.rule }).replaceAll('$TAG', tag.id));
      const segment = await createSegment(db, ws.id, { name: scenario.name, rule }, T0);
      for (const check of scenario.checks) {
        const expected = check.members.map((m) => ids.get(m)!).sort((a, b) => a - b);
        // Real time: every profile re-evaluated from its own rows.
        for (const id of ids.values()) await markChanged(db, ws.id, id);
        await processProfileChanges(db, ws.id, { now: check.now });
        expect(await members(db, ws.id, segment.id), `real-time at ${check.now.toISOString()}`).toEqual(expected);
        // Batch: the whole workspace, set-based.
        await recomputeRuleSegment(db, ws.id, segment.id, check.now);
        expect(await members(db, ws.id, segment.id), `batch at ${check.now.toISOString()}`).toEqual(expected);
      }
    });
  }
});

async function members(db: Db, workspaceId: string, segmentId: string): Promise<number[]> {
  const rows = await db.selectFrom('segment_members').select('profile_id').distinct().where('workspace_id', '=', workspaceId).where('segment_id', '=', segmentId).execute();
  return rows.map((r) => r.profile_id).sort((a, b) => a - b);
}
