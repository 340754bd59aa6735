import { expect, it } from 'vitest';
import { createSegment, processAllProfileChanges, processProfileChanges } from '../../src/modules/segments/index.js';
import { applyRuleTagChanges, createTag, createTagGroup, tagHistory } from '../../src/modules/tags/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { newTestWorkspace, seedProfile, setTraits } from '../rules/seed.js';

const T0 = new Date('2025-06-15T12:00:00.000Z');
const trait = (value: string) => ({ version: 1 as const, condition: { kind: 'trait' as const, trait: 'plan', type: 'string' as const, op: 'eq' as const, value } });

/** The real-time pass writes all of a batch's decisions set-based: tags in one statement, segments in one. */
describeEachDatabase('real-time writes', (ctx) => {
  it('records tag history only for rows actually written (an add that finds its row records nothing)', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const group = await createTagGroup(db, ws.id, { name: 'g', category: 'custom' });
    const tag = await createTag(db, ws.id, { groupId: group.id, name: 'gold', rule: trait('gold') }, T0);
    const [p, q, r] = [await seedProfile(db, ws.id), await seedProfile(db, ws.id), await seedProfile(db, ws.id)];
    // p already holds the tag (another pass decided it meanwhile); r holds it and loses it.
    await db
      .insertInto('tag_assignments')
      .values([p, r].map((id) => ({ workspace_id: ws.id, tag_id: tag.id, profile_id: id, origin_profile_id: id, value: 'v', source: 'rule' as const })))
      .execute();
    await db.transaction().execute((trx) =>
      applyRuleTagChanges(trx, ws.id, [
        { tagId: tag.id, profileId: p, holds: true, value: 'v' },
        { tagId: tag.id, profileId: q, holds: true, value: 'v' },
        { tagId: tag.id, profileId: r, holds: false, value: 'v' },
      ], T0),
    );
    const held = await db.selectFrom('tag_assignments').select('profile_id').where('workspace_id', '=', ws.id).where('tag_id', '=', tag.id).orderBy('profile_id').execute();
    expect(held.map((h) => h.profile_id)).toEqual([p, q].sort((x, y) => x - y));
    const history = async (id: number) => (await tagHistory(db, ws.id, { profileId: id })).map((h) => [h.action, h.value, h.cause]);
    expect(await history(p)).toEqual([]);
    expect(await history(q)).toEqual([['apply', 'v', 'rule']]);
    expect(await history(r)).toEqual([['remove', 'v', 'rule']]);
  });

  it('moves members of several segments in one pass, with sizes and one Entered / Exited event each', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const [a, b, c] = [await seedProfile(db, ws.id, { traits: { plan: 'gold' } }), await seedProfile(db, ws.id, { traits: { plan: 'silver' } }), await seedProfile(db, ws.id)];
    const gold = await createSegment(db, ws.id, { name: 'gold', rule: trait('gold') });
    const silver = await createSegment(db, ws.id, { name: 'silver', rule: trait('silver') });
    await processAllProfileChanges(db, { workspaceId: ws.id, now: T0 });
    // a: gold → silver, b: silver → gold, c: none → gold.
    await setTraits(db, ws.id, a, { plan: 'silver' });
    await setTraits(db, ws.id, b, { plan: 'gold' });
    await setTraits(db, ws.id, c, { plan: 'gold' });
    await processProfileChanges(db, ws.id, { now: T0 });
    const members = async (segmentId: string) =>
      (await db.selectFrom('segment_members').select('profile_id').where('workspace_id', '=', ws.id).where('segment_id', '=', segmentId).execute()).map((m) => m.profile_id).sort((x, y) => x - y);
    expect(await members(gold.id)).toEqual([b, c].sort((x, y) => x - y));
    expect(await members(silver.id)).toEqual([a]);
    const sizes = await db.selectFrom('segments').select(['id', 'size']).where('workspace_id', '=', ws.id).orderBy('name').execute();
    expect(sizes).toEqual([{ id: gold.id, size: 2 }, { id: silver.id, size: 1 }]);
    const moves = await db
      .selectFrom('events')
      .select(['profile_id', 'event', 'properties'])
      .where('workspace_id', '=', ws.id)
      .where('event', 'in', ['Segment Entered', 'Segment Exited'])
      .where('timestamp', '=', T0)
      .execute();
    const seen = moves.map((m) => `${m.profile_id === a ? 'a' : m.profile_id === b ? 'b' : 'c'} ${m.event} ${(m.properties as { segment_name: string }).segment_name}`).sort();
    expect(seen).toEqual(['a Segment Entered silver', 'a Segment Exited gold', 'b Segment Entered gold', 'b Segment Exited silver', 'c Segment Entered gold']);
  });

  it('drains a backlog with growing claims and two passes at a time, deciding every profile once', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const ids: number[] = [];
    for (let i = 0; i < 23; i++) ids.push(await seedProfile(db, ws.id, { traits: { plan: i % 2 ? 'gold' : 'silver' } }));
    const gold = await createSegment(db, ws.id, { name: 'gold', rule: trait('gold') });
    await db.deleteFrom('profile_changes').where('workspace_id', '=', ws.id).execute();
    for (const id of ids) await setTraits(db, ws.id, id, { plan: 'gold' });
    const inFlight = ctx.kind === 'postgres' ? 2 : 1;
    // 23 changed profiles, then again those whose entry recorded a Segment Entered event (queued by that event).
    expect(await processAllProfileChanges(db, { workspaceId: ws.id, now: T0, limit: 2, maxLimit: 8, inFlight })).toBeGreaterThanOrEqual(23);
    const members = await db.selectFrom('segment_members').select('profile_id').where('workspace_id', '=', ws.id).where('segment_id', '=', gold.id).execute();
    expect(members.map((m) => m.profile_id).sort((x, y) => x - y)).toEqual([...ids].sort((x, y) => x - y));
    expect((await db.selectFrom('segments').select('size').where('id', '=', gold.id).executeTakeFirstOrThrow()).size).toBe(23);
    expect(await db.selectFrom('profile_change_claims').select('profile_id').where('workspace_id', '=', ws.id).execute()).toEqual([]);
  });
});
