import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { deliver } from '../../src/modules/channels/index.js';
import { advanceDue, claimOutbox, deliverOutboxBatch, enterManually, profileJourneyPaths } from '../../src/modules/journeys/index.js';
import { outcomeOfRow } from '../../src/modules/journeys/sender.js';
import { drainAt, nextNoon, profilesBatch, published, smsChannel, startSink, webhookChannel } from './support.js';

const URL = 'http://127.0.0.1:3000';

/**
 * The batched sender against the states a crash leaves behind, in one batch with mixed channels: a message already
 * delivered whose outbox row was never recorded, an attempt left `sending`, a primary already refused for good, rows
 * named twice in the batch, and the same claimed batch run a second time. Every message must reach its provider
 * exactly once (by idempotency key), none may be skipped, and each gets exactly one delivery record and one step.
 */
describeEachDatabase('journey batch sender', (ctx) => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(() => sink.close());

  it('sends every message of a batch once through duplicates, replays and mixed channels', async () => {
    const db = ctx.database.db;
    const ws = (await newWorkspace(ctx.database)).id;
    const sms = await smsChannel(ctx.database, ws, `${sink.url}/sms`, '{{ traits.name }}，您好');
    const hook = await webhookChannel(ctx.database, ws, `${sink.url}/hook`);
    const refuse = await smsChannel(ctx.database, ws, `${sink.url}/refuse`, 'refused');
    const N = 12;
    const people = [
      ...Array.from({ length: N }, (_, i) => ({ userId: `b-ok-${i}`, traits: { name: `P${i}`, phone: `138001390${String(i).padStart(2, '0')}` } })),
      { userId: 'b-no-consent', traits: { name: 'NC', phone: '13800139090', consent: { sms: false } } },
      { userId: 'b-no-phone', traits: { name: 'NP' } },
      { userId: 'b-unsub', traits: { name: 'US', phone: '13800139091' } },
    ];
    const ids = await profilesBatch(ctx.database, ws, people);
    const ok = ids.slice(0, N);
    const [noConsent, noPhone, unsub] = ids.slice(N) as [number, number, number];
    const phoneOf = async (p: number) => (await db.selectFrom('identifiers').select('value').where('workspace_id', '=', ws).where('profile_id', '=', p).where('type', '=', 'phone').executeTakeFirstOrThrow()).value;
    await db.insertInto('channel_unsubscribes').values({ workspace_id: ws, channel: 'sms', address: await phoneOf(unsub), delivery_id: null }).execute();

    // Marketing SMS with a webhook fallback, then a webhook node; a transactional SMS; a refusing gateway with a fallback.
    const marketing = await published(ctx.database, ws, {
      trigger: { type: 'manual' }, start: 'msg',
      nodes: [{ id: 'msg', type: 'send', ...sms, fallback: hook }, { id: 'ping', type: 'webhook', channelId: hook.channelId, payload: { n: 1 } }],
      edges: [{ from: 'msg', to: 'ping' }],
    }, 'marketing');
    const transactional = await published(ctx.database, ws, { trigger: { type: 'manual' }, start: 'tx', nodes: [{ id: 'tx', type: 'send', ...sms, transactional: true }] }, 'tx');
    const refusing = await published(ctx.database, ws, { trigger: { type: 'manual' }, start: 'r', nodes: [{ id: 'r', type: 'send', ...refuse, fallback: hook, transactional: true }] }, 'refusing');
    await enterManually(db, ws, marketing.id, ids, 'test');
    await enterManually(db, ws, transactional.id, [unsub, ok[0]!], 'test');
    await enterManually(db, ws, refusing.id, [ok[1]!], 'test');
    const now = nextNoon();
    await advanceDue(db, now, 500, ws);
    const outbox = await db.selectFrom('journey_outbox').selectAll().where('workspace_id', '=', ws).execute();
    expect(outbox).toHaveLength(ids.length * 2 + 3);
    const rowOf = (journeyId: string, profileId: number, node: string) => outbox.find((o) => o.journey_id === journeyId && o.profile_id === profileId && o.node_id === node)!;

    // Crash states. (a) Delivered and recorded in channel_deliveries, but the outbox row never recorded (killed).
    const delivered = rowOf(marketing.id, ok[2]!, 'msg');
    await outcomeOfRow(db, URL, delivered);
    // (b) An attempt left `sending` (killed during the call, which never reached the provider).
    const interrupted = rowOf(marketing.id, ok[3]!, 'msg');
    await db.insertInto('channel_deliveries').values({
      workspace_id: ws, id: `dl_crash_${ws}`, idempotency_key: interrupted.idempotency_key, channel_config_id: sms.channelId, channel: 'sms',
      recipient: await phoneOf(ok[3]!), profile_id: ok[3]!, status: 'sending', attempts: 1, context: JSON.stringify({}),
    }).execute();
    // (c) The refusing gateway already answered `invalid_recipient` for good (killed before the fallback).
    const refused = rowOf(refusing.id, ok[1]!, 'r');
    const first = await deliver(db, ws, URL, { configId: refuse.channelId, message: { channel: 'sms', text: 'refused' }, recipient: { to: await phoneOf(ok[1]!), profileId: ok[1]! }, idempotencyKey: refused.idempotency_key, transactional: true });
    expect(first.result.ok).toBe(false);
    const callsBefore = new Map(sink.byKey);

    // One claim; the batch names some rows twice; then the same (now stale) claim is run again.
    const claimed = await claimOutbox(db, now, 1_000, 60_000, ws);
    expect(claimed).toHaveLength(outbox.length);
    await deliverOutboxBatch(db, URL, [...claimed, ...claimed.slice(0, 5), claimed[7]!], { concurrency: 4 });
    await deliverOutboxBatch(db, URL, claimed, { concurrency: 4 });
    await drainAt(ctx.database, ws, now);

    // Nothing skipped: every row done, each with one step; nothing twice: one delivery record per key.
    const after = await db.selectFrom('journey_outbox').select(['idempotency_key', 'status', 'entry_id', 'node_id']).where('workspace_id', '=', ws).execute();
    expect(after.filter((o) => o.status !== 'done').map((o) => o.idempotency_key)).toEqual([]);
    // Finished rows are deleted, except marketing sends (frequency caps count them).
    expect(after.map((o) => o.idempotency_key).sort()).toEqual(outbox.filter((o) => o.marketing).map((o) => o.idempotency_key).sort());
    expect(after).toHaveLength(ids.length);
    const steps = await db.selectFrom('journey_steps').select(['entry_id', 'node_id', 'outcome']).where('workspace_id', '=', ws).where('outcome', 'in', ['sent', 'sent:fallback']).execute();
    expect(steps).toHaveLength(outbox.length);
    expect(new Set(steps.map((s) => `${s.entry_id}/${s.node_id}`)).size).toBe(outbox.length);

    const expectedKeys = new Set<string>();
    for (const o of outbox) {
      const viaFallback = (o.journey_id === marketing.id && o.node_id === 'msg' && [noConsent, noPhone, unsub].includes(o.profile_id)) || o.journey_id === refusing.id;
      expectedKeys.add(viaFallback ? `${o.idempotency_key}:fallback` : o.idempotency_key);
    }
    const mine = (m: Map<string, number>) => new Map([...m].filter(([k]) => [marketing.id, transactional.id, refusing.id].some((j) => k.startsWith(`journey:${j}:`))));
    const calls = mine(sink.byKey);
    // Every intended message reached its provider exactly once, counting the calls made before the "crash".
    expect(new Set([...calls.keys()].filter((k) => k !== refused.idempotency_key))).toEqual(expectedKeys);
    expect([...calls.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(calls.get(delivered.idempotency_key)).toBe(callsBefore.get(delivered.idempotency_key));
    expect(calls.get(refused.idempotency_key)).toBe(1);

    const deliveries = await db.selectFrom('channel_deliveries').select(['idempotency_key', 'status', 'error_code', 'attempts']).where('workspace_id', '=', ws).execute();
    expect(deliveries).toHaveLength(expectedKeys.size + 1);
    expect(new Set(deliveries.map((d) => d.idempotency_key)).size).toBe(deliveries.length);
    for (const d of deliveries) expect(d.status, d.idempotency_key).toBe(d.idempotency_key === refused.idempotency_key ? 'failed' : 'sent');
    expect(deliveries.find((d) => d.idempotency_key === interrupted.idempotency_key)!.attempts).toBe(2);

    // Rendered per person; consent, unsubscribe and transactional marking as before.
    const texts = sink.bodies.filter((b) => b.key === rowOf(marketing.id, ok[5]!, 'msg').idempotency_key).map((b) => b.text);
    expect(texts).toEqual(['P5，您好']);
    const outcomeOf = async (p: number, journeyId: string, node: string) =>
      (await profileJourneyPaths(db, ws, p)).find((e) => e.journeyId === journeyId)!.steps.filter((s) => s.nodeId === node).at(-1)!;
    const nc = await outcomeOf(noConsent, marketing.id, 'msg');
    expect(nc.outcome).toBe('sent:fallback');
    expect((nc.detail as { primary: { code: string } }).primary.code).toBe('no_consent');
    expect(((await outcomeOf(noPhone, marketing.id, 'msg')).detail as { primary: { code: string } }).primary.code).toBe('no_address');
    expect(((await outcomeOf(unsub, marketing.id, 'msg')).detail as { primary: { code: string } }).primary.code).toBe('unsubscribed');
    expect((await outcomeOf(unsub, transactional.id, 'tx')).outcome).toBe('sent');
    expect(((await outcomeOf(ok[1]!, refusing.id, 'r')).detail as { primary: { errorKind: string } }).primary.errorKind).toBe('invalid_recipient');

    // One "Message Sent" event per SMS delivered, though replays handed the events to ingest again.
    const smsSent = deliveries.filter((d) => d.status === 'sent' && !d.idempotency_key.endsWith(':fallback') && !d.idempotency_key.includes(':nping:')).length;
    const { rows } = await sql<{ n: number; distinct: number }>`SELECT count(*)::int AS n, count(DISTINCT properties->>'deliveryId')::int AS distinct
      FROM events WHERE workspace_id = ${ws} AND event = 'Message Sent'`.execute(db);
    expect(rows[0]).toEqual({ n: smsSent, distinct: smsSent });
  });
});
