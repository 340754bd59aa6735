import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { markProfilesChanged } from '../../src/modules/identity/index.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { processProfileChanges, releaseStaleClaims } from '../../src/modules/segments/index.js';
import { createTag, createTagGroup } from '../../src/modules/tags/index.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { addEvents, newTestWorkspace, seedProfile } from '../rules/seed.js';

/** The change feed says what changed (migration 0101), and the real-time pass re-decides only what that can affect. */
async function feed(db: Db, workspaceId: string) {
  const rows = await db
    .selectFrom('profile_changes')
    .select(['profile_id', 'everything', 'event_names', 'traits_changed'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('profile_id')
    .execute();
  return rows.map((r) => ({ ...r, event_names: [...r.event_names].sort() }));
}

async function profileOf(db: Db, workspaceId: string, userId: string): Promise<number> {
  const row = await db.selectFrom('identifiers').select('profile_id').where('workspace_id', '=', workspaceId).where('type', '=', 'userId').where('value', '=', userId).executeTakeFirstOrThrow();
  return row.profile_id!;
}

const DAY = 86_400_000;

describeEachDatabase('profile change scopes', (ctx) => {
  it('ingest queues the event names and trait changes; writers that do not say widen the change to everything', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    await ingestMessages(db, ws.id, [
      { type: 'track', userId: 'a', event: 'Product Viewed', messageId: 'm1' },
      { type: 'track', userId: 'a', event: 'Product Added', messageId: 'm2' },
      { type: 'identify', userId: 'b', traits: { plan: 'gold' }, messageId: 'm3' },
      { type: 'page', userId: 'c', name: 'Home', messageId: 'm4' },
    ]);
    const [a, b, c] = [await profileOf(db, ws.id, 'a'), await profileOf(db, ws.id, 'b'), await profileOf(db, ws.id, 'c')];
    const scopeOf = async (id: number) => (await feed(db, ws.id)).find((r) => r.profile_id === id);
    expect(await scopeOf(a)).toMatchObject({ everything: false, event_names: ['Product Added', 'Product Viewed'], traits_changed: false });
    expect(await scopeOf(b)).toMatchObject({ everything: false, event_names: [], traits_changed: true });
    // A page is known to rules by its name and to the AIPL mapping as a page view.
    expect(await scopeOf(c)).toMatchObject({ everything: false, event_names: ['Home', 'Page Viewed'], traits_changed: false });
    // A second scoped change unites the names.
    await ingestMessages(db, ws.id, [{ type: 'track', userId: 'a', event: 'Ad Clicked', messageId: 'm5' }]);
    expect((await scopeOf(a))?.event_names).toEqual(['Ad Clicked', 'Product Added', 'Product Viewed']);
    // Any other writer (an order, a merge, a manual tag…) only queues the profile: that is a change of anything.
    await db.transaction().execute((trx) => markProfilesChanged(trx, ws.id, [a]));
    expect(await scopeOf(a)).toMatchObject({ everything: true, event_names: [], traits_changed: false });
    await sql`INSERT INTO profile_changes (workspace_id, profile_id) VALUES (${ws.id}, ${b}) ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now()`.execute(db);
    expect(await scopeOf(b)).toMatchObject({ everything: true });
    // …and stays so when a scoped change follows.
    await ingestMessages(db, ws.id, [{ type: 'track', userId: 'a', event: 'Product Viewed', messageId: 'm6' }]);
    expect(await scopeOf(a)).toMatchObject({ everything: true });
  });

  it('a claim given back keeps its scope, merged with what was queued meanwhile', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const p = await seedProfile(db, ws.id);
    await db.deleteFrom('profile_changes').where('workspace_id', '=', ws.id).execute();
    const old = new Date(Date.now() - 11 * 60_000);
    await db.insertInto('profile_change_claims').values({ workspace_id: ws.id, claim: 'dead', profile_id: p, claimed_at: old, everything: false, event_names: ['view'], traits_changed: false }).execute();
    await db.transaction().execute((trx) => markProfilesChanged(trx, ws.id, [p], new Map([[p, { events: ['cart'], traits: true }]])));
    await releaseStaleClaims(db);
    expect(await feed(db, ws.id)).toEqual([{ profile_id: p, everything: false, event_names: ['cart', 'view'], traits_changed: true }]);
  });

  it('re-decides only the rules that read what arrived, and raises the stage from the new events', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const group = await createTagGroup(db, ws.id, { name: 'activity', category: 'activity' });
    const rule = (event: string) => ({ version: 1 as const, condition: { kind: 'event' as const, event, window: { type: 'last_days' as const, days: 30 } } });
    const viewers = await createTag(db, ws.id, { groupId: group.id, name: 'viewers', rule: rule('Product Viewed') });
    await createTag(db, ws.id, { groupId: group.id, name: 'carters', rule: rule('Product Added') });
    const interested = await createTag(db, ws.id, { groupId: group.id, name: 'interested', rule: { version: 1, condition: { kind: 'lifecycle', stages: ['I'] } } });
    const now = new Date();
    const p = await seedProfile(db, ws.id);
    const q = await seedProfile(db, ws.id);
    await processProfileChanges(db, ws.id, { now });
    await addEvents(db, ws.id, p, [{ event: 'Product Viewed', timestamp: new Date(now.getTime() - DAY) }]);
    await addEvents(db, ws.id, q, [{ event: 'Product Viewed', timestamp: new Date(now.getTime() - 100 * DAY) }]);
    await db.deleteFrom('profile_changes').where('workspace_id', '=', ws.id).execute();
    const scope = { events: ['Product Viewed'], traits: false };
    await db.transaction().execute((trx) => markProfilesChanged(trx, ws.id, [p, q], new Map([[p, scope], [q, scope]])));
    // p: `viewers` (reads the name), then its stage rose to I so `interested` too; not `carters`. q: the view is
    // outside both windows, so only `viewers` is re-decided (and does not hold).
    expect(await processProfileChanges(db, ws.id, { now })).toMatchObject({ profiles: 2, decisions: 3 });
    const tags = await db.selectFrom('tag_assignments').select(['tag_id', 'profile_id']).where('workspace_id', '=', ws.id).orderBy('tag_id').execute();
    expect(tags).toEqual(
      [
        { tag_id: viewers.id, profile_id: p },
        { tag_id: interested.id, profile_id: p },
      ].sort((x, y) => (x.tag_id < y.tag_id ? -1 : 1)),
    );
    const stages = await db.selectFrom('profile_lifecycle').select(['profile_id', 'stage']).where('workspace_id', '=', ws.id).execute();
    expect(stages).toEqual([{ profile_id: p, stage: 'I' }]);
    const history = await db.selectFrom('lifecycle_history').select(['profile_id', 'from_stage', 'to_stage']).where('workspace_id', '=', ws.id).execute();
    expect(history).toEqual([{ profile_id: p, from_stage: null, to_stage: 'I' }]);
  });
});
