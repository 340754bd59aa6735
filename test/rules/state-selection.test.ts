import { expect, it } from 'vitest';
import { loadProfileStates } from '../../src/modules/rules/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { NOW } from './arbitraries.js';
import { newTestWorkspace, seedProfile } from './seed.js';

/**
 * The real-time pass asks, per profile, for only some tags' and segments' rows: as (profile, key) pairs when each
 * profile asks for a few, or one filtered range per profile when they ask for many. Both ways must read exactly the
 * rows asked for that exist, and events without properties only when told no rule reads them.
 */
describeEachDatabase('loading part of a profile state', (ctx) => {
  it('reads the asked tags and segments of each profile, by pairs or by ranges, and events with or without properties', async () => {
    const db = ctx.database.db;
    const ws = await newTestWorkspace(ctx.database);
    await db.insertInto('tag_groups').values({ workspace_id: ws.id, id: 'grp', name: 'g', category: 'custom' }).execute();
    const tags = Array.from({ length: 20 }, (_, i) => `t${i}`);
    await db.insertInto('tags').values(tags.map((id) => ({ workspace_id: ws.id, id, group_id: 'grp', name: id, kind: 'manual' as const }))).execute();
    await db.insertInto('segments').values(['s0', 's1'].map((id) => ({ workspace_id: ws.id, id, name: id, kind: 'static' as const }))).execute();
    const event = { event: 'view', timestamp: new Date(NOW.getTime() - 1000), properties: { price: 3 } };
    const a = await seedProfile(db, ws.id, { events: [event] });
    const b = await seedProfile(db, ws.id, { events: [event] });
    // a holds every even tag (value = its name), b every tag; both are in s0, b also in s1.
    const rows = [
      ...tags.filter((_, i) => i % 2 === 0).map((t) => ({ profile: a, tag: t })),
      ...tags.map((t) => ({ profile: b, tag: t })),
    ];
    await db
      .insertInto('tag_assignments')
      .values(rows.map((r) => ({ workspace_id: ws.id, tag_id: r.tag, profile_id: r.profile, origin_profile_id: r.profile, value: r.tag, source: 'manual' as const })))
      .execute();
    await db
      .insertInto('segment_members')
      .values([a, b, b].map((p, i) => ({ workspace_id: ws.id, segment_id: i === 2 ? 's1' : 's0', profile_id: p, origin_profile_id: p })))
      .execute();
    const load = (tagsOf: Map<number, string[]>, eventProperties: boolean) =>
      loadProfileStates(db, ws.id, [a, b], new Set(['view']), NOW, undefined, {
        parts: { tags: [a, b], segments: [a, b], events: [a, b] },
        tagIds: [...new Set([...tagsOf.values()].flat())],
        segmentIds: ['s1'],
        tagsOf,
        segmentsOf: new Map([[a, ['s1']], [b, ['s1']]]),
        eventProperties,
      });
    const held = (state: { tags: Map<string, Set<string>> } | undefined) => [...(state?.tags.keys() ?? [])].sort();
    // Few keys each: pairs. a asks for t0–t3 (holds t0, t2), b for t1 only.
    const few = await load(new Map([[a, ['t0', 't1', 't2', 't3']], [b, ['t1']]]), true);
    expect(held(few.get(a))).toEqual(['t0', 't2']);
    expect(few.get(a)?.tags.get('t2')).toEqual(new Set(['t2']));
    expect(held(few.get(b))).toEqual(['t1']);
    expect([...(few.get(a)?.segments ?? [])]).toEqual([]);
    expect([...(few.get(b)?.segments ?? [])]).toEqual(['s1']);
    expect(few.get(a)?.events).toEqual([{ event: 'view', timestamp: event.timestamp, properties: { price: 3 } }]);
    // Many keys each (every tag for both): one range per profile.
    const many = await load(new Map([[a, tags], [b, tags]]), false);
    expect(held(many.get(a))).toEqual(tags.filter((_, i) => i % 2 === 0).sort());
    expect(held(many.get(b))).toEqual([...tags].sort());
    expect([...(many.get(b)?.segments ?? [])]).toEqual(['s1']);
    expect(many.get(b)?.events).toEqual([{ event: 'view', timestamp: event.timestamp, properties: null }]);
  });

  it('reads, per profile, only the event names it asks for, each from its own earliest time', async () => {
    const db = ctx.database.db;
    const ws = await newTestWorkspace(ctx.database);
    const DAY = 86_400_000;
    const at = (days: number) => new Date(NOW.getTime() - days * DAY);
    const events = [
      { event: 'view', timestamp: at(2) },
      { event: 'view', timestamp: at(20) },
      { event: 'cart', timestamp: at(5) },
      { event: 'cart', timestamp: at(400) },
      { event: 'buy', timestamp: at(1) },
      { event: 'view', timestamp: new Date(NOW.getTime() + DAY) }, // after now: never read
    ];
    const a = await seedProfile(db, ws.id, { events });
    const b = await seedProfile(db, ws.id, { events });
    const eventsOf = new Map([
      // a: views of the last 10 days and every cart; b: buys of the last 3 days only.
      [a, new Map<string, Date | undefined>([['view', at(10)], ['cart', undefined]])],
      [b, new Map<string, Date | undefined>([['buy', at(3)]])],
    ]);
    // The batch-wide names and horizon do not apply when eventsOf is given.
    const states = await loadProfileStates(db, ws.id, [a, b], new Set(['view', 'cart', 'buy']), NOW, at(1), { parts: { events: [a, b] }, eventsOf, eventProperties: false });
    const seen = (id: number) => (states.get(id)?.events ?? []).map((e) => `${e.event}@${(NOW.getTime() - e.timestamp.getTime()) / DAY}`).sort();
    expect(seen(a)).toEqual(['cart@400', 'cart@5', 'view@2']);
    expect(seen(b)).toEqual(['buy@1']);
    expect(states.get(a)?.events.every((e) => e.properties === null)).toBe(true);
  });
});
