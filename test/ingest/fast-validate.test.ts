import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fastBatchEnvelopeOk, fastParseMessage, jsonBytesUpperBound } from '../../src/modules/ingest/fast-validate.js';
import { prepareMessages } from '../../src/modules/ingest/prepare.js';
import { BatchRequest, SegmentMessage } from '../../src/modules/ingest/schema.js';

/** Strings around every limit the schema has (200, 256, empty, blank, padded) and a few odd characters. */
const edgyString = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', ' ', '  x  ', '\t', 'Order Completed', ' Order Completed ', '王芳', 'a\u0000b', 'x'.repeat(200), 'x'.repeat(201), ` ${'x'.repeat(200)} `, 'x'.repeat(256), 'x'.repeat(257)),
);
const record = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 });
/** Anything a field of a JSON body might hold, valid or not. */
const plainValue = fc.oneof(
  edgyString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(null, undefined, true, false, Number.NaN, Number.POSITIVE_INFINITY, 0, -1),
  record,
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
);
/** Plus values the fast check leaves to zod: a null prototype, a JSON `__proto__` key, a Date. */
const unusualValue = fc.constantFrom<object>(Object.create(null) as object, JSON.parse('{"__proto__": {"x": 1}, "a": 1}') as object, new Date(0));
const anyValue: fc.Arbitrary<unknown> = fc.oneof(plainValue, unusualValue);
const TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
/** Messages as real clients send them: always valid. */
const validMessage = fc
  .record({
    type: fc.constantFrom(...TYPES),
    messageId: fc.string({ minLength: 1, maxLength: 40 }),
    userId: fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null)),
    anonymousId: fc.oneof(fc.uuid(), fc.constant(undefined)),
    timestamp: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
    traits: record,
    properties: record,
    context: fc.record(
      {
        ip: fc.string(),
        traits: record,
        externalIds: fc.array(fc.record({ id: fc.oneof(fc.string({ minLength: 1 }), fc.integer()), type: fc.constantFrom('member_no', 'wechat_openid'), collection: fc.constant('users') }), { maxLength: 2 }),
      },
      { requiredKeys: [] },
    ),
  })
  .map((m) => {
    const out: Record<string, unknown> = { ...m };
    if (m.type === 'track') out.event = 'Product Viewed';
    if (m.type === 'page' || m.type === 'screen') out.name = '/home';
    if (m.type === 'group') out.groupId = 'g-1';
    if (m.type === 'alias') out.previousId = 'anon-1';
    if (m.type !== 'identify' && m.type !== 'group') delete out.traits;
    return out;
  });

function messageArbitraries(anyValue: fc.Arbitrary<unknown>) {
  const externalId = fc.oneof(
  fc.record(
    {
      id: fc.oneof(edgyString, fc.integer(), anyValue),
      type: fc.oneof(fc.constantFrom('member_no', 'wechat_openid', 'x', '1bad', 'has space', 'a'.repeat(64), 'a'.repeat(65)), edgyString),
      collection: fc.oneof(fc.string(), anyValue),
      encoding: fc.oneof(fc.string(), anyValue),
      extra: anyValue,
    },
    { requiredKeys: [] },
  ),
  anyValue,
);
  const context = fc.oneof(
  fc.record(
    {
      externalIds: fc.oneof(fc.array(externalId, { maxLength: 3 }), anyValue),
      traits: fc.oneof(record, anyValue),
      library: fc.constant({ name: 'analytics-node', version: '3.1.0' }),
      ip: fc.string(),
    },
    { requiredKeys: [] },
  ),
  anyValue,
);
/** Messages mixing valid and invalid values in every field the schema knows, plus unknown fields. */
  const fields = {
    type: fc.oneof(fc.constantFrom(...TYPES), anyValue),
    messageId: fc.oneof(edgyString, anyValue),
    userId: fc.oneof(edgyString, anyValue),
    anonymousId: fc.oneof(edgyString, anyValue),
    previousId: fc.oneof(edgyString, anyValue),
    groupId: fc.oneof(edgyString, anyValue),
    event: fc.oneof(edgyString, anyValue),
    name: fc.oneof(edgyString, anyValue),
    category: fc.oneof(edgyString, anyValue),
    timestamp: fc.oneof(fc.constant('2026-01-01T00:00:00Z'), anyValue),
    originalTimestamp: anyValue,
    sentAt: anyValue,
    traits: fc.oneof(record, anyValue),
    properties: fc.oneof(record, anyValue),
    integrations: fc.oneof(record, anyValue),
    context,
    _metadata: anyValue,
  };
  type Field = keyof typeof fields;
  const keys = Object.keys(fields) as Field[];
  // Mostly a valid message with one or two fields replaced, so single faults (the interesting cases) are common.
  const mutated = fc
    .tuple(validMessage, fc.constantFrom(...keys), fc.constantFrom(...keys), fc.boolean())
    .chain(([m, k1, k2, two]) =>
      fc.tuple(fields[k1] as fc.Arbitrary<unknown>, fields[k2] as fc.Arbitrary<unknown>).map(([v1, v2]) => ({ ...m, [k1]: v1, ...(two ? { [k2]: v2 } : {}) })),
    );
  const looseMessage = fc.oneof({ arbitrary: mutated, weight: 3 }, { arbitrary: fc.record(fields, { requiredKeys: ['type'] }), weight: 1 });
  return { looseMessage, anyValue };
}
const { looseMessage } = messageArbitraries(anyValue);
/** Only plain JSON values: here the two validators must agree in both directions. */
const { looseMessage: plainMessage } = messageArbitraries(plainValue);

describe('hand-written Segment validator', () => {
  it('accepts only what zod accepts, and returns what zod returns', () => {
    fc.assert(
      fc.property(looseMessage, (message) => {
        const fast = fastParseMessage(message);
        const zod = SegmentMessage.safeParse(message);
        if (fast === null) return; // zod decides (and names the problem)
        expect(zod.success).toBe(true);
        expect(fast).toEqual(zod.data);
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects exactly what zod rejects (on plain JSON values)', () => {
    fc.assert(
      fc.property(plainMessage, (message) => {
        expect(fastParseMessage(message) !== null).toBe(SegmentMessage.safeParse(message).success);
      }),
      { numRuns: 3000 },
    );
  });

  it('decides ordinary valid messages itself, without falling back to zod', () => {
    fc.assert(
      fc.property(validMessage, (message) => {
        expect(SegmentMessage.safeParse(message).success).toBe(true);
        expect(fastParseMessage(message)).toEqual(SegmentMessage.parse(message));
      }),
      { numRuns: 1000 },
    );
  });

  it('trims track event names and strips unknown externalIds keys, as zod does', () => {
    const message = { type: 'track', userId: 'u', event: '  Signed In ', context: { externalIds: [{ id: 1, type: 'member_no', extra: 'x' }], ip: '1.2.3.4' } };
    const fast = fastParseMessage(message)!;
    expect(fast).toEqual(SegmentMessage.parse(message));
    expect(fast).toMatchObject({ event: 'Signed In', context: { externalIds: [{ id: 1, type: 'member_no' }] } });
    expect(message.context.externalIds[0]).toHaveProperty('extra'); // the caller's object is left alone
  });

  it('accepts a /v1/batch envelope exactly when zod would, unchanged', () => {
    const envelope = (anyValue: fc.Arbitrary<unknown>, looseMessage: fc.Arbitrary<unknown>) => fc.record(
      {
        batch: fc.oneof(fc.array(fc.oneof(validMessage, looseMessage, anyValue), { maxLength: 3 }), anyValue),
        context: fc.oneof(record, anyValue),
        integrations: fc.oneof(record, anyValue),
        sentAt: anyValue,
        writeKey: fc.oneof(fc.string(), anyValue),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(envelope(anyValue, looseMessage), anyValue), (body) => {
        if (!fastBatchEnvelopeOk(body)) return; // zod decides
        const zod = BatchRequest.safeParse(body);
        expect(zod.success).toBe(true);
        expect(body).toEqual(zod.data);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.oneof(envelope(plainValue, plainMessage), plainValue), (body) => {
        expect(fastBatchEnvelopeOk(body)).toBe(BatchRequest.safeParse(body).success);
      }),
      { numRuns: 2000 },
    );
  });

  it('bounds the longest numbers JSON prints', () => {
    // Found by the property below (seed -1354828128): 25 characters, where the bound had allowed 24.
    for (const n of [-0.0000010247164094259521, -1.2345678901234567e-123, -123456789012345670000, Number.MIN_VALUE, -Number.MAX_VALUE]) {
      expect(jsonBytesUpperBound(n, 100)).toBeGreaterThanOrEqual(JSON.stringify(n).length);
    }
  });

  it('bounds a message size from above, so the 32 KB check never lets a large message through', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('\u0000', '\u001f', '"', '\\', '王', '😀'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 50 });
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.dictionary(text, fc.oneof(text, fc.jsonValue()))), fc.integer({ min: 0, max: 5000 }), (value, budget) => {
        const exact = Buffer.byteLength(JSON.stringify(value) ?? '');
        const bound = jsonBytesUpperBound(value, budget);
        if (bound !== Infinity) {
          expect(bound).toBeGreaterThanOrEqual(exact);
          expect(bound).toBeLessThanOrEqual(budget);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('still reports zod’s errors, with the index, when the fast check refuses a message', () => {
    const { messages, errors } = prepareMessages(
      [
        { type: 'track', userId: 'u', event: 'ok' },
        { type: 'track', userId: 'u', event: '   ' },
        { type: 'identify', userId: 'u', messageId: null },
        { type: 'page', anonymousId: 'a', name: 'x'.repeat(201) },
      ],
      { receivedAt: new Date() },
    );
    expect(messages).toHaveLength(1);
    expect(errors.map((e) => [e.index, e.path])).toEqual([
      [1, 'batch[1].event'],
      [2, 'batch[2].messageId'],
      [3, 'batch[3].name'],
    ]);
    expect(errors[0]!.message).toBe('track needs an event name');
  });
});
