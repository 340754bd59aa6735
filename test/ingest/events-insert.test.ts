import fc from 'fast-check';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { storeMessages } from '../../src/modules/ingest/index.js';
import { prepareMessages, type PreparedMessage } from '../../src/modules/ingest/prepare.js';
import { insertAnchoredEvents } from '../../src/modules/ingest/index.js';
import { describeEachDatabase, openTestDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';

// The events insert streams COPY text on PostgreSQL (and one JSON document on PGlite): every character must come
// back exactly, above all those COPY's text format escapes (backslash, tab, line feed, carriage return) and \N.
const tricky = fc.constantFrom('\\', '\t', '\n', '\r', '\\N', '\\t', 'N', '"', "'", ',', ' ', '\u2028', '\u00e9', '中', '会员', '😀', '👨‍👩‍👧', '\ud83d\ude00', 'a', 'Z', '0', '{', '}');
const text = fc.oneof(fc.string({ unit: tricky, minLength: 1, maxLength: 12 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }));
// PostgreSQL text holds no NUL character (rejected before and after this change alike).
const noNul = text.filter((s) => !s.includes('\u0000'));
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, noNul, fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), tie('object')),
  object: fc.dictionary(noNul, tie('value'), { maxKeys: 4 }),
})).value;
const object = fc.dictionary(noNul, json, { maxKeys: 4 });

const message = fc.record({
  messageId: noNul,
  kind: fc.constantFrom('track', 'identify', 'page'),
  event: noNul,
  userId: fc.option(noNul, { nil: undefined }),
  anonymousId: noNul,
  properties: object,
  traits: object,
  context: object,
});

type Raw = typeof message extends fc.Arbitrary<infer T> ? T : never;
const toSegment = (m: Raw, tag: string) => ({
  type: m.kind,
  messageId: `${tag}${m.messageId}`,
  ...(m.kind === 'track' ? { event: m.event, properties: m.properties } : m.kind === 'page' ? { name: m.event, properties: m.properties } : { traits: m.traits }),
  ...(m.userId !== undefined ? { userId: m.userId } : {}),
  anonymousId: m.anonymousId,
  context: m.context,
  timestamp: new Date(1_700_000_000_000 + m.messageId.length * 1000).toISOString(),
});

let runs = 0;

describeEachDatabase('events insert', (ctx) => {
  const stored = async (workspaceId: string) =>
    (
      await sql<{ message_id: string; type: string; event: string | null; user_id: string | null; anonymous_id: string | null; timestamp: Date; received_at: Date; properties: unknown; traits: unknown; context: unknown }>`
        SELECT message_id, type, event, user_id, anonymous_id, "timestamp", received_at, properties, traits, context FROM events WHERE workspace_id = ${workspaceId}`.execute(ctx.database.db)
    ).rows;

  const expected = (m: PreparedMessage) => ({
    message_id: m.messageId, type: m.type, event: m.event, user_id: m.userId, anonymous_id: m.anonymousId, timestamp: m.timestamp,
    received_at: m.receivedAt, properties: m.properties, traits: m.traits, context: m.context,
  });

  it('stores any text (tabs, line breaks, backslashes, \\N, quotes, Chinese, emoji) exactly, once per messageId', async () => {
    const ws = await newWorkspace(ctx.database);
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 8 }), async (raws) => {
        const tag = `r${++runs}-`;
        const segment = raws.map((m) => toSegment(m, tag));
        const { messages, errors } = prepareMessages(segment, { receivedAt: new Date() });
        // Some generated ids are placeholders ("null"…) that prepare rejects: that is prepare's business, not ours.
        const accepted = messages.filter((m) => !errors.some((e) => e.index === m.index));
        const first = new Map<string, PreparedMessage>();
        for (const m of accepted) if (!first.has(m.messageId)) first.set(m.messageId, m);
        const result = await storeMessages(ctx.database.db, ws.id, accepted);
        expect(result.accepted).toBe(first.size);
        // The same batch again (a retry), with duplicates inside it: nothing more is stored.
        const again = await storeMessages(ctx.database.db, ws.id, [...accepted].reverse());
        expect(again.accepted).toBe(0);
        const rows = (await stored(ws.id)).filter((r) => r.message_id.startsWith(tag));
        expect(rows.length).toBe(first.size);
        const byId = new Map(rows.map((r) => [r.message_id, r]));
        for (const [id, m] of first) expect(byId.get(id), JSON.stringify(id)).toEqual(expected(m));
      }),
      { numRuns: ctx.kind === 'pglite' ? 25 : 60 },
    );
  });

  it('a second insert in the same transaction stores only its own rows (staging emptied between uses)', async () => {
    const a = await newWorkspace(ctx.database);
    const b = await newWorkspace(ctx.database);
    const { anchorId } = await storeIdentify(a.id, `two-${++runs}`);
    const { anchorId: anchorB } = await storeIdentify(b.id, `two-${++runs}`);
    const tag = `two-${++runs}`;
    const n = await ctx.database.db.transaction().execute(async (trx) => {
      const one = await insertAnchoredEvents(trx, a.id, [{ messageId: `${tag}-1`, event: 'First\tone', properties: { x: 'a\\b' }, timestamp: new Date(), anchorId, profileId: null }]);
      const two = await insertAnchoredEvents(trx, b.id, [
        { messageId: `${tag}-2`, event: 'Second\none', properties: {}, timestamp: new Date(), anchorId: anchorB, profileId: null },
        { messageId: `${tag}-3`, event: 'Third', properties: { y: '中\r文' }, timestamp: new Date(), anchorId: anchorB, profileId: null },
      ]);
      const repeat = await insertAnchoredEvents(trx, a.id, [{ messageId: `${tag}-1`, event: 'First again', properties: {}, timestamp: new Date(), anchorId, profileId: null }]);
      return [one, two, repeat];
    });
    expect(n).toEqual([1, 2, 0]);
    expect((await stored(a.id)).filter((r) => r.message_id.startsWith(tag)).map((r) => [r.message_id, r.event, r.properties])).toEqual([[`${tag}-1`, 'First\tone', { x: 'a\\b' }]]);
    expect((await stored(b.id)).filter((r) => r.message_id.startsWith(tag)).map((r) => [r.message_id, r.event, r.properties]).sort()).toEqual([
      [`${tag}-2`, 'Second\none', {}],
      [`${tag}-3`, 'Third', { y: '中\r文' }],
    ]);
  });

  it('a batch over a megabyte (rows and values spanning COPY chunks) comes back whole', async () => {
    const ws = await newWorkspace(ctx.database);
    const { anchorId } = await storeIdentify(ws.id, `big-${++runs}`);
    const tag = `big-${++runs}`;
    const long = '会员\t\\n'.repeat(60_000); // ~360 KB as UTF-8, more than one chunk on its own
    const events = Array.from({ length: 3000 }, (_, i) => ({
      messageId: `${tag}-${String(i).padStart(5, '0')}`, event: `E${i % 7}`, properties: { i, note: `第${i}条\n${'x'.repeat(i % 300)}`, ...(i === 1234 ? { long } : {}) },
      timestamp: new Date(Date.UTC(1999, 11, 31, 23, 59, 59, 999) + i * 86_400_000), anchorId, profileId: i % 2 ? null : 7_000_000_000 + i,
    }));
    const n = await ctx.database.db.transaction().execute((trx) => insertAnchoredEvents(trx, ws.id, events));
    expect(n).toBe(events.length);
    const rows = await sql<{ message_id: string; event: string; properties: unknown; timestamp: Date; profile_id: number | null }>`
      SELECT message_id, event, properties, "timestamp", profile_id FROM events WHERE workspace_id = ${ws.id} AND message_id LIKE ${`${tag}-%`} ORDER BY message_id`.execute(ctx.database.db);
    expect(rows.rows.map((r) => [r.message_id, r.event, r.properties, r.timestamp.getTime(), r.profile_id])).toEqual(
      events.map((e) => [e.messageId, e.event, e.properties, e.timestamp.getTime(), e.profileId]),
    );
  });

  it('a rolled-back transaction leaves the next one working (the staging table outlives it or is recreated)', async () => {
    const ws = await newWorkspace(ctx.database);
    const { anchorId } = await storeIdentify(ws.id, `rb-${++runs}`);
    const tag = `rb-${++runs}`;
    // Fresh connections (on PostgreSQL): the first use of each creates the staging table inside a transaction
    // that then rolls back.
    const fresh = ctx.kind === 'postgres' ? await openTestDatabase('postgres') : ctx.database;
    try {
      for (let i = 0; i < 10; i++) {
        await expect(
          fresh.db.transaction().execute(async (trx) => {
            await insertAnchoredEvents(trx, ws.id, [{ messageId: `${tag}-x${i}`, event: 'Gone', properties: {}, timestamp: new Date(), anchorId, profileId: null }]);
            throw new Error('roll back');
          }),
        ).rejects.toThrow('roll back');
        const n = await fresh.db.transaction().execute((trx) => insertAnchoredEvents(trx, ws.id, [{ messageId: `${tag}-${i}`, event: 'Kept', properties: {}, timestamp: new Date(), anchorId, profileId: null }]));
        expect(n).toBe(1);
      }
    } finally {
      if (fresh !== ctx.database) await fresh.close();
    }
    const rows = (await stored(ws.id)).filter((r) => r.message_id.startsWith(tag));
    expect(rows.map((r) => r.event)).toEqual(Array(10).fill('Kept'));
  });

  async function storeIdentify(workspaceId: string, userId: string): Promise<{ anchorId: number }> {
    const { messages } = prepareMessages([{ type: 'identify', userId, messageId: `${userId}-id` }], { receivedAt: new Date() });
    await storeMessages(ctx.database.db, workspaceId, messages);
    const row = await ctx.database.db.selectFrom('identifiers').select('id').where('workspace_id', '=', workspaceId).where('value', '=', userId).executeTakeFirstOrThrow();
    return { anchorId: row.id };
  }
});
