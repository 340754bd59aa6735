import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { enterManually, getJourney, journeyStats, listVersions, profileJourneyPaths, publishJourney, updateJourney } from '../../src/modules/journeys/index.js';
import { createTemplate } from '../../src/modules/templates/index.js';
import { drainAt, HOUR, nextNoon, profile, published, smsChannel, startSink, track, webhookChannel } from './support.js';

describeEachDatabase('journey engine', (ctx) => {
  let sink: Awaited<ReturnType<typeof startSink>>;
  beforeAll(async () => {
    sink = await startSink();
  });
  afterAll(() => sink.close());

  it('enters on an event matching its property filter, sends once, and records the path', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const sms = await smsChannel(ctx.database, ws, `${sink.url}/sms`, '{{ traits.name }}，感谢您的订单');
    const alice = await profile(ctx.database, ws, 'alice', { name: 'Alice', phone: '13800138001' });
    const bob = await profile(ctx.database, ws, 'bob', { name: 'Bob', phone: '13800138002' });
    await published(ctx.database, ws, {
      trigger: { type: 'event', event: 'Order Completed', filters: [{ property: 'amount', op: 'gt', value: 500 }] },
      start: 'thanks',
      nodes: [{ id: 'thanks', type: 'send', ...sms }],
    });
    const t0 = nextNoon();
    await track(ctx.database, ws, 'alice', 'Order Completed', { amount: 800 }, new Date(t0.getTime() - 60_000));
    await track(ctx.database, ws, 'bob', 'Order Completed', { amount: 100 }, new Date(t0.getTime() - 60_000));
    await drainAt(ctx.database, ws, t0);
    await drainAt(ctx.database, ws, new Date(t0.getTime() + HOUR));

    const mine = sink.bodies.filter((b) => b.text?.includes('感谢'));
    const toAlice = mine.filter((b) => b.key.includes(`:p${alice}:`));
    expect(toAlice).toHaveLength(1);
    expect(toAlice[0]!.text).toBe('Alice，感谢您的订单');
    expect(mine.filter((b) => b.key.includes(`:p${bob}:`))).toHaveLength(0);

    const [path] = await profileJourneyPaths(ctx.database.db, ws, alice);
    expect(path!.status).toBe('finished');
    expect(path!.steps.map((s) => s.outcome)).toEqual(['entered', 'queued', 'finished:completed', 'sent']);
    expect((path!.steps[0]!.detail as { properties: { amount: number } }).properties.amount).toBe(800);
    expect(await profileJourneyPaths(ctx.database.db, ws, bob)).toEqual([]);
    // The entered step is the entry row itself, and the closing step rides on the queued one (migration 0256).
    const stored = await ctx.database.db.selectFrom('journey_steps').select('outcome').where('workspace_id', '=', ws).where('entry_id', '=', path!.entryId).execute();
    expect(stored.map((s) => s.outcome).sort()).toEqual(['queued', 'sent']);
  });

  it('enters on a property filter named like a built-in object property only when the event has it', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const alice = await profile(ctx.database, ws, 'alice');
    const bob = await profile(ctx.database, ws, 'bob');
    await published(ctx.database, ws, {
      trigger: { type: 'event', event: 'Order Completed', filters: [{ property: 'constructor', op: 'exists' }] },
      start: 'w',
      nodes: [{ id: 'w', type: 'wait', duration: { days: 1 } }],
    });
    const t0 = nextNoon();
    await track(ctx.database, ws, 'alice', 'Order Completed', JSON.parse('{"constructor": "x"}'), new Date(t0.getTime() - 60_000));
    await track(ctx.database, ws, 'bob', 'Order Completed', { amount: 100 }, new Date(t0.getTime() - 60_000));
    await drainAt(ctx.database, ws, t0);
    expect(await profileJourneyPaths(ctx.database.db, ws, alice)).toHaveLength(1);
    expect(await profileJourneyPaths(ctx.database.db, ws, bob)).toEqual([]);
  });

  it('shows an entered step stored by earlier code once, as it was', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const db = ctx.database.db;
    const carol = await profile(ctx.database, ws, 'carol');
    const journey = await published(ctx.database, ws, { trigger: { type: 'manual' }, start: 'w', nodes: [{ id: 'w', type: 'wait', duration: { days: 1 } }] });
    await enterManually(db, ws, journey.id, [carol], 'ops');
    const [entry] = await profileJourneyPaths(db, ws, carol);
    const at = new Date(entry!.enteredAt.getTime() + 1);
    await db.insertInto('journey_steps').values({ workspace_id: ws, entry_id: entry!.entryId, journey_id: journey.id, version: 1, profile_id: carol, node_id: null, outcome: 'entered', detail: JSON.stringify({ stored: true }), at }).execute();
    const [path] = await profileJourneyPaths(db, ws, carol);
    expect(path!.steps).toEqual([{ nodeId: null, outcome: 'entered', detail: { stored: true }, at }]);
  });

  it('waits, splits on a rule, waits for an event with a timeout and takes both exits', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const vip1 = await profile(ctx.database, ws, 'vip1', { vip: true });
    const vip2 = await profile(ctx.database, ws, 'vip2', { vip: true });
    const plain = await profile(ctx.database, ws, 'plain', { vip: false });
    const journey = await published(ctx.database, ws, {
      trigger: { type: 'manual' },
      start: 'day',
      nodes: [
        { id: 'day', type: 'wait', duration: { days: 1 } },
        { id: 'is_vip', type: 'condition', rule: { condition: { kind: 'trait', trait: 'vip', type: 'boolean', op: 'eq', value: true } } },
        { id: 'coupon', type: 'wait_for_event', event: 'Coupon Used', timeoutHours: 48 },
        { id: 'engaged', type: 'set_trait', traits: { engaged: true } },
        { id: 'ab', type: 'split', variants: [{ key: 'a', percent: 50 }, { key: 'b', percent: 50 }] },
        { id: 'tag_a', type: 'set_trait', traits: { variant: 'a' } },
        { id: 'tag_b', type: 'set_trait', traits: { variant: 'b' } },
        { id: 'not_vip', type: 'exit' },
      ],
      edges: [
        { from: 'day', to: 'is_vip' },
        { from: 'is_vip', to: 'coupon', branch: 'yes' },
        { from: 'is_vip', to: 'not_vip', branch: 'no' },
        { from: 'coupon', to: 'engaged', branch: 'event' },
        { from: 'coupon', to: 'ab', branch: 'timeout' },
        { from: 'ab', to: 'tag_a', branch: 'a' },
        { from: 'ab', to: 'tag_b', branch: 'b' },
      ],
    });
    const t0 = nextNoon();
    expect(await enterManually(ctx.database.db, ws, journey.id, [vip1, vip2, plain], 'test')).toEqual({ entered: 3 });
    await drainAt(ctx.database, ws, t0);
    let stats = await journeyStats(ctx.database.db, ws, journey.id);
    expect(stats.nodes.find((n) => n.nodeId === 'day')!.waiting).toBe(3);

    await drainAt(ctx.database, ws, new Date(t0.getTime() + 24 * HOUR + 1000));
    stats = await journeyStats(ctx.database.db, ws, journey.id);
    expect(stats.nodes.find((n) => n.nodeId === 'coupon')!.waiting).toBe(2);
    expect(stats.nodes.find((n) => n.nodeId === 'not_vip')!.exited).toBe(1);

    await track(ctx.database, ws, 'vip1', 'Coupon Used', {}, new Date(t0.getTime() + 25 * HOUR));
    await drainAt(ctx.database, ws, new Date(t0.getTime() + 26 * HOUR));
    const [p1] = await profileJourneyPaths(ctx.database.db, ws, vip1);
    expect(p1!.steps.map((s) => s.outcome)).toContain('event_received');
    expect(p1!.status).toBe('finished');
    const traits = await ctx.database.db.selectFrom('profiles').select('traits').where('workspace_id', '=', ws).where('id', '=', vip1).executeTakeFirstOrThrow();
    expect(traits.traits.engaged).toBe(true);

    const [before] = await profileJourneyPaths(ctx.database.db, ws, vip2);
    expect(before!.status).toBe('active');
    await drainAt(ctx.database, ws, new Date(t0.getTime() + 74 * HOUR));
    const [p2] = await profileJourneyPaths(ctx.database.db, ws, vip2);
    const outcomes = p2!.steps.map((s) => s.outcome);
    expect(outcomes).toContain('timed_out');
    expect(outcomes.some((o) => o === 'variant:a' || o === 'variant:b')).toBe(true);
    expect(p2!.status).toBe('finished');
    const [p3] = await profileJourneyPaths(ctx.database.db, ws, plain);
    expect(p3).toMatchObject({ status: 'exited', exitReason: 'exit_node', nodeId: 'not_vip' });
    expect(p3!.steps.find((s) => s.nodeId === 'is_vip')!.outcome).toBe('no');
  });

  it('keeps people on the version they entered when a published journey is edited', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const sms = await smsChannel(ctx.database, ws, `${sink.url}/sms`, 'version one');
    const v2Template = await createTemplate(ctx.database.db, ws, { name: 'v2', channel: 'sms', parts: { text: 'version two', rule: 'china' } });
    const alice = await profile(ctx.database, ws, 'alice', { phone: '13800138011' });
    const bob = await profile(ctx.database, ws, 'bob', { phone: '13800138012' });
    const definition = (templateId: string) => ({
      trigger: { type: 'manual' }, start: 'later',
      nodes: [{ id: 'later', type: 'wait', duration: { hours: 1 } }, { id: 'say', type: 'send', channelId: sms.channelId, templateId }],
      edges: [{ from: 'later', to: 'say' }],
    });
    const journey = await published(ctx.database, ws, definition(sms.templateId));
    const t0 = nextNoon();
    await enterManually(ctx.database.db, ws, journey.id, [alice], 'test');
    await drainAt(ctx.database, ws, t0);
    await updateJourney(ctx.database.db, ws, journey.id, { definition: definition(v2Template.id) });
    expect((await getJourney(ctx.database.db, ws, journey.id)).publishedVersion).toBe(1);
    await publishJourney(ctx.database.db, ws, journey.id);
    await enterManually(ctx.database.db, ws, journey.id, [bob], 'test');
    await drainAt(ctx.database, ws, new Date(t0.getTime() + 2 * HOUR));
    await drainAt(ctx.database, ws, new Date(t0.getTime() + 4 * HOUR));

    const texts = (p: number) => sink.bodies.filter((b) => b.key.includes(`journey:${journey.id}:`) && b.key.includes(`:p${p}:`)).map((b) => b.text);
    expect(texts(alice)).toEqual(['version one']);
    expect(texts(bob)).toEqual(['version two']);
    expect((await listVersions(ctx.database.db, ws, journey.id)).map((v) => v.version)).toEqual([2, 1]);
    expect((await profileJourneyPaths(ctx.database.db, ws, alice))[0]!.version).toBe(1);
  });

  it('holds marketing sends through quiet hours, caps them per channel, and falls back when consent is missing', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const sms = await smsChannel(ctx.database, ws, `${sink.url}/sms`, 'marketing');
    const hook = await webhookChannel(ctx.database, ws, `${sink.url}/hook`);
    const consenting = await profile(ctx.database, ws, 'yes', { phone: '13800138021' });
    const refusing = await profile(ctx.database, ws, 'no', { phone: '13800138022', consent: { sms: false } });
    const journey = await published(ctx.database, ws, {
      trigger: { type: 'manual' }, start: 'first',
      nodes: [
        { id: 'first', type: 'send', ...sms, fallback: hook },
        { id: 'second', type: 'send', ...sms },
      ],
      edges: [{ from: 'first', to: 'second' }],
      policies: { frequencyCap: { perChannel: 1, periodHours: 24 } },
    });
    const night = new Date(nextNoon().getTime() + 10 * HOUR); // 22:00 in Shanghai
    await enterManually(ctx.database.db, ws, journey.id, [consenting, refusing], 'test');
    await drainAt(ctx.database, ws, night);
    const mine = () => sink.bodies.filter((b) => b.key.includes(`journey:${journey.id}:`));
    expect(mine()).toHaveLength(0);
    const [held] = await profileJourneyPaths(ctx.database.db, ws, consenting);
    expect(held!.steps.at(-1)).toMatchObject({ nodeId: 'first', outcome: 'held:quiet_hours' });

    await drainAt(ctx.database, ws, new Date(night.getTime() + 11 * HOUR)); // 09:00
    const smsTo = (p: number) => mine().filter((b) => b.key.includes(`:p${p}:`) && b.text === 'marketing');
    expect(smsTo(consenting)).toHaveLength(1);
    expect(smsTo(refusing)).toHaveLength(0);
    expect(mine().filter((b) => b.key.endsWith(':fallback') && b.key.includes(`:p${refusing}:`))).toHaveLength(1);
    const [c] = await profileJourneyPaths(ctx.database.db, ws, consenting);
    expect(c!.steps.find((s) => s.nodeId === 'second')!.outcome).toBe('skipped:frequency_cap');
    const [r] = await profileJourneyPaths(ctx.database.db, ws, refusing);
    expect(r!.steps.map((s) => s.outcome)).toContain('sent:fallback');
  });

  it('honours re-entry "never" and leaves a paused journey alone', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const p = await profile(ctx.database, ws, 'p');
    const journey = await published(ctx.database, ws, {
      trigger: { type: 'manual' }, start: 'w', nodes: [{ id: 'w', type: 'wait', duration: { minutes: 5 } }], policies: { reentry: 'never' },
    });
    expect((await enterManually(ctx.database.db, ws, journey.id, [p], 't')).entered).toBe(1);
    const t0 = nextNoon();
    await drainAt(ctx.database, ws, t0);
    await drainAt(ctx.database, ws, new Date(t0.getTime() + HOUR));
    expect((await profileJourneyPaths(ctx.database.db, ws, p))[0]!.status).toBe('finished');
    expect((await enterManually(ctx.database.db, ws, journey.id, [p], 't')).entered).toBe(0);
  });
});
