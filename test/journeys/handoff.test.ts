import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { advanceDue, enterManually, profileJourneyPaths, runJourneyPass } from '../../src/modules/journeys/index.js';
import type { OutboxRow } from '../../src/modules/journeys/sender.js';
import { nextNoon, profilesBatch, published, startSink, webhookChannel } from './support.js';

const URL = 'http://127.0.0.1:3000';

/**
 * The mover hands the outbox rows it writes to the sender of its own pass, written already claimed (OutboxHandoff).
 * A process that dies between the mover's commit and the calls leaves those rows claimed: nobody may send them before
 * the lease runs out, and once it has, the claim takes them and each message goes out once.
 */
describeEachDatabase('outbox hand-off from the mover to the sender', (ctx) => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(() => sink.close());

  const definition = (hook: { channelId: string; templateId: string }) => ({ trigger: { type: 'manual' }, start: 'send', nodes: [{ id: 'send', type: 'send', ...hook, transactional: true }] });

  it('rows handed to a sender that died are claimed once the lease runs out, and sent once', async () => {
    const db = ctx.database.db;
    const ws = (await newWorkspace(ctx.database)).id;
    const hook = await webhookChannel(ctx.database, ws, `${sink.url}/hook`);
    const journey = await published(ctx.database, ws, definition(hook));
    const ids = await profilesBatch(ctx.database, ws, Array.from({ length: 5 }, (_, i) => ({ userId: `ho-dead-${i}` })));
    await enterManually(db, ws, journey.id, ids, 'test');
    const now = nextNoon();
    const leaseUntil = new Date(now.getTime() + 60_000);
    let handed: OutboxRow[] = [];
    // The sender that would have taken them is gone: the rows are only kept here.
    expect(await advanceDue(db, now, 100, ws, undefined, { leaseUntil, take: (rows) => (handed = rows) })).toBe(5);
    expect(handed.map((r) => Number(r.profile_id)).sort()).toEqual([...ids].sort());
    const outbox = await db.selectFrom('journey_outbox').select(['status', 'attempts', 'lease_until']).where('workspace_id', '=', ws).execute();
    expect(outbox).toHaveLength(5);
    for (const o of outbox) expect({ status: o.status, attempts: o.attempts, lease: new Date(o.lease_until!).getTime() }).toEqual({ status: 'in_flight', attempts: 1, lease: leaseUntil.getTime() });

    const pass = (at: Date) => runJourneyPass(db, { publicUrl: URL, now: () => at, leaseMs: 60_000, workspaceId: ws, schedules: false });
    const keys = handed.map((r) => r.idempotency_key);
    // Inside the lease: nobody sends them.
    expect((await pass(new Date(now.getTime() + 30_000))).sent).toBe(0);
    expect(keys.map((k) => sink.byKey.get(k) ?? 0)).toEqual([0, 0, 0, 0, 0]);
    // After it: claimed (attempt 2) and sent once each.
    expect((await pass(new Date(now.getTime() + 61_000))).sent).toBe(5);
    expect(keys.map((k) => sink.byKey.get(k) ?? 0)).toEqual([1, 1, 1, 1, 1]);
    expect(await db.selectFrom('journey_outbox').select('idempotency_key').where('workspace_id', '=', ws).execute()).toEqual([]);
    const [path] = await profileJourneyPaths(db, ws, ids[0]!);
    expect(path!.steps.map((s) => s.outcome)).toEqual(['entered', 'queued', 'finished:completed', 'sent']);
  });

  it('a pass sends what its movers hand over once, and records it like a claimed row', async () => {
    const db = ctx.database.db;
    const ws = (await newWorkspace(ctx.database)).id;
    const hook = await webhookChannel(ctx.database, ws, `${sink.url}/hook`);
    const journey = await published(ctx.database, ws, definition(hook));
    const ids = await profilesBatch(ctx.database, ws, Array.from({ length: 30 }, (_, i) => ({ userId: `ho-live-${i}` })));
    await enterManually(db, ws, journey.id, ids, 'test');
    const now = nextNoon();
    // Small chunks and batches, two movers: several hand-offs, some rows beyond the hand-off limit go through the claim.
    const c = await runJourneyPass(db, { publicUrl: URL, now: () => now, chunk: 4, sendBatch: 2, movers: 2, workspaceId: ws, schedules: false });
    // A call that times out on a loaded machine is retried in the same pass (its back-off is on the real clock, this
    // pass's clock is fixed ahead): counted again as sent; the provider sees its key at most once per attempt.
    expect(c.moved).toBe(30);
    expect(c.sent).toBeGreaterThanOrEqual(30);
    const deliveries = await db.selectFrom('channel_deliveries').select(['idempotency_key', 'status', 'attempts']).where('workspace_id', '=', ws).execute();
    expect(deliveries).toHaveLength(30);
    for (const d of deliveries) {
      expect(d.status).toBe('sent');
      expect(sink.byKey.get(d.idempotency_key)).toBeGreaterThanOrEqual(1);
      expect(sink.byKey.get(d.idempotency_key)).toBeLessThanOrEqual(d.attempts);
    }
    expect(await db.selectFrom('journey_outbox').select('idempotency_key').where('workspace_id', '=', ws).execute()).toEqual([]);
    for (const p of await Promise.all(ids.map((id) => profileJourneyPaths(db, ws, id)))) {
      expect(p[0]!.steps.map((s) => s.outcome)).toEqual(['entered', 'queued', 'finished:completed', 'sent']);
    }
  });

  it('a message under a claimed outbox row is recorded once, with its answer; one already on record is not sent again', async () => {
    const db = ctx.database.db;
    const ws = (await newWorkspace(ctx.database)).id;
    const hook = await webhookChannel(ctx.database, ws, `${sink.url}/hook`);
    const journey = await published(ctx.database, ws, definition(hook));
    const ids = await profilesBatch(ctx.database, ws, Array.from({ length: 12 }, (_, i) => ({ userId: `ho-once-${i}` })));
    await enterManually(db, ws, journey.id, ids, 'test');
    const now = nextNoon();
    const c = await runJourneyPass(db, { publicUrl: URL, now: () => now, chunk: 5, sendBatch: 4, workspaceId: ws, schedules: false });
    expect(c.moved).toBe(12);
    const deliveries = await db.selectFrom('channel_deliveries').select(['idempotency_key', 'status', 'attempts', 'created_at', 'updated_at']).where('workspace_id', '=', ws).execute();
    expect(deliveries).toHaveLength(12);
    for (const d of deliveries) {
      // Written in one statement with the answer: no `sending` row before the call (the claimed outbox row was that
      // record), so the row was never updated.
      expect({ status: d.status, attempts: d.attempts, updated: new Date(d.updated_at).getTime() }).toEqual({ status: 'sent', attempts: 1, updated: new Date(d.created_at).getTime() });
      expect(sink.byKey.get(d.idempotency_key)).toBeGreaterThanOrEqual(1);
    }
    // A sender that died after the answer was recorded but before the outbox row was: the row is claimed again and
    // the recorded answer is used, without a call.
    const [one] = ids;
    const again = await published(ctx.database, ws, definition(hook), 'again');
    await enterManually(db, ws, again.id, [one!], 'test');
    let handed: OutboxRow[] = [];
    await advanceDue(db, now, 10, ws, undefined, { leaseUntil: new Date(now.getTime() + 60_000), take: (rows) => (handed = rows) });
    expect(handed).toHaveLength(1);
    const key = handed[0]!.idempotency_key;
    await db.insertInto('channel_deliveries').values({
      workspace_id: ws, id: `dl_done_${ws}`, idempotency_key: key, channel_config_id: hook.channelId, channel: 'webhook', recipient: String(one), profile_id: one!,
      status: 'sent', attempts: 1, provider_message_id: 'earlier', context: JSON.stringify({}),
    }).execute();
    const later = new Date(now.getTime() + 61_000);
    expect((await runJourneyPass(db, { publicUrl: URL, now: () => later, workspaceId: ws, schedules: false })).sent).toBe(1);
    expect(sink.byKey.get(key) ?? 0).toBe(0);
    const [path] = await profileJourneyPaths(db, ws, one!, { journeyId: again.id });
    expect(path!.steps.map((s) => s.outcome)).toEqual(['entered', 'queued', 'finished:completed', 'sent']);
    expect(path!.steps[3]!.detail).toMatchObject({ deliveryId: `dl_done_${ws}`, providerMessageId: 'earlier' });
  });
});
