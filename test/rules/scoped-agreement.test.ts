import fc from 'fast-check';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { markProfilesChanged, type ProfileChangeScope } from '../../src/modules/identity/index.js';
import type { Condition } from '../../src/modules/rules/index.js';
import { processProfileChanges } from '../../src/modules/segments/index.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { conditionArb, NOW, profileArb } from './arbitraries.js';
import { addEvents, newTestWorkspace, seedProfile, setTraits, type SeedEvent } from './seed.js';

/**
 * The real-time pass re-decides only what a change can affect (events of the names that arrived, traits, a raised
 * stage, and rules over those). Property: after random changes queued with their scope, the memberships and stages
 * are exactly those of re-deciding everything for every profile — for profiles decided before, and for brand-new
 * profiles that arrive with nothing but their first events (they were never decided).
 */
const DAY = 86_400_000;
const newEvent: fc.Arbitrary<SeedEvent> = fc.record({
  // Rule names and names the default AIPL mapping puts at A, I and L.
  event: fc.constantFrom('view', 'cart', 'buy', 'Ad Impression', 'Product Viewed', 'Product Reviewed'),
  timestamp: fc
    .oneof(fc.constantFrom(7, 30, 90).chain((d) => fc.constantFrom(d * DAY, d * DAY - 1, d * DAY + 1)), fc.integer({ min: -2 * DAY, max: 120 * DAY }))
    .map((ms) => new Date(NOW.getTime() - ms)),
  properties: fc.record({ price: fc.constantFrom(0, 12, 150.5, '12'), sku: fc.constantFrom('A', 'B', 'AB'), flag: fc.boolean() }, { requiredKeys: [] }),
});
const changeArb = fc.record({
  events: fc.array(newEvent, { maxLength: 3 }),
  traits: fc.option(fc.record({ plan: fc.constantFrom('gold', 'silver'), age: fc.constantFrom(17, 30), vip: fc.boolean() }, { requiredKeys: [] }), { nil: undefined }),
});

describeEachDatabase('scoped real-time re-decisions agree with re-deciding everything', (ctx) => {
  it('gives the same tags, segments and stages after random scoped changes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(profileArb, { minLength: 1, maxLength: 5 }),
        fc.array(conditionArb, { minLength: 8, maxLength: 8 }),
        fc.array(changeArb, { minLength: 1, maxLength: 5 }),
        fc.array(profileArb, { maxLength: 2 }),
        async (profiles, conditions, changes, newcomers) => {
          const db = ctx.database.db;
          const ws = await newTestWorkspace(ctx.database);
          await seedOwners(db, ws.id, conditions);
          const ids: number[] = [];
          for (const p of profiles) {
            const id = await seedProfile(db, ws.id, p);
            ids.push(id);
            await seedManualState(db, ws.id, id, p);
          }
          await drain(db, ws.id);
          // Changes: new events and traits on known profiles, and newcomers never decided, each queued with its scope.
          const scopes = new Map<number, ProfileChangeScope>();
          for (const [i, change] of changes.entries()) {
            const id = ids[i % ids.length]!;
            const scope = scopes.get(id) ?? { events: [], traits: false };
            if (change.events.length) await addEvents(db, ws.id, id, change.events);
            if (change.traits) await setTraits(db, ws.id, id, change.traits);
            scope.events.push(...change.events.map((e) => e.event));
            scope.traits ||= change.traits !== undefined;
            scopes.set(id, scope);
          }
          for (const p of newcomers) {
            const id = await seedProfile(db, ws.id, { ...p, orders: [] });
            ids.push(id);
            scopes.set(id, { events: (p.events ?? []).map((e) => e.event), traits: Object.keys(p.traits ?? {}).length > 0 });
          }
          await sql`DELETE FROM profile_changes WHERE workspace_id = ${ws.id}`.execute(db);
          await db.transaction().execute((trx) => markProfilesChanged(trx, ws.id, [...scopes.keys()], scopes));
          await drain(db, ws.id);
          const scoped = await snapshot(db, ws.id);
          // Everything, for every profile.
          await db.transaction().execute((trx) => markProfilesChanged(trx, ws.id, ids));
          await drain(db, ws.id);
          expect(scoped, JSON.stringify({ conditions, changes })).toEqual(await snapshot(db, ws.id));
        },
      ),
      { numRuns: ctx.kind === 'pglite' ? 12 : 20 },
    );
  }, 180_000);
});

/**
 * Rule tags r0–r3 and rule segments q0–q3 from the conditions; a reference to tag_b / seg_a in a later owner points
 * at the previous rule tag / segment instead, so owners depend on each other (no cycles).
 */
async function seedOwners(db: Db, workspaceId: string, conditions: Condition[]): Promise<void> {
  await db.insertInto('tag_groups').values({ workspace_id: workspaceId, id: 'grp', name: 'g', category: 'custom' }).execute();
  await db
    .insertInto('tags')
    .values([
      { workspace_id: workspaceId, id: 'tag_a', group_id: 'grp', name: 'a', kind: 'manual' },
      { workspace_id: workspaceId, id: 'tag_b', group_id: 'grp', name: 'b', kind: 'manual' },
    ])
    .execute();
  await db.insertInto('segments').values({ workspace_id: workspaceId, id: 'seg_a', name: 's', kind: 'static' }).execute();
  const rule = (c: Condition, tagRef: string, segmentRef: string) =>
    JSON.stringify({ version: 1, condition: c }).replaceAll('"tag_b"', `"${tagRef}"`).replaceAll('"seg_a"', `"${segmentRef}"`);
  for (let i = 0; i < 4; i++) {
    await db
      .insertInto('tags')
      .values({ workspace_id: workspaceId, id: `r${i}`, group_id: 'grp', name: `r${i}`, kind: 'rule', rule: rule(conditions[i]!, i ? `r${i - 1}` : 'tag_b', 'seg_a') })
      .execute();
    await db
      .insertInto('segments')
      .values({ workspace_id: workspaceId, id: `q${i}`, name: `q${i}`, kind: 'rule', rule: rule(conditions[4 + i]!, `r${i}`, i ? `q${i - 1}` : 'seg_a') })
      .execute();
  }
}

async function seedManualState(db: Db, workspaceId: string, profileId: number, p: { tags: Array<[string, string]>; segment: boolean; rfm: string | null }): Promise<void> {
  for (const [tag, value] of p.tags) {
    await db.insertInto('tag_assignments').values({ workspace_id: workspaceId, tag_id: tag, profile_id: profileId, origin_profile_id: profileId, value, source: 'manual' }).execute();
  }
  if (p.segment) await db.insertInto('segment_members').values({ workspace_id: workspaceId, segment_id: 'seg_a', profile_id: profileId, origin_profile_id: profileId }).execute();
  if (p.rfm) {
    await db
      .insertInto('profile_rfm')
      .values({ workspace_id: workspaceId, profile_id: profileId, recency_days: 1, frequency: 1, monetary: 1, r_score: 3, f_score: 3, m_score: 3, class8: p.rfm, computed_at: NOW })
      .execute();
  }
}

async function drain(db: Db, workspaceId: string): Promise<void> {
  while ((await processProfileChanges(db, workspaceId, { now: NOW })).profiles > 0);
}

async function snapshot(db: Db, workspaceId: string) {
  const [tags, segments, stages] = await Promise.all([
    db.selectFrom('tag_assignments').select(['tag_id', 'profile_id']).where('workspace_id', '=', workspaceId).where('source', '=', 'rule').orderBy('tag_id').orderBy('profile_id').execute(),
    db.selectFrom('segment_members').select(['segment_id', 'profile_id']).where('workspace_id', '=', workspaceId).where('segment_id', '<>', 'seg_a').orderBy('segment_id').orderBy('profile_id').execute(),
    db.selectFrom('profile_lifecycle').select(['profile_id', 'stage']).where('workspace_id', '=', workspaceId).orderBy('profile_id').execute(),
  ]);
  return { tags, segments, stages };
}
