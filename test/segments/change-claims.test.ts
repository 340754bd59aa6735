import { expect, it } from 'vitest';
import { createSegment, processAllProfileChanges, processProfileChanges } from '../../src/modules/segments/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { markProfilesChanged } from '../../src/modules/identity/index.js';
import { newTestWorkspace, seedProfile, setTraits } from '../rules/seed.js';

const goldRule = { version: 1 as const, condition: { kind: 'trait' as const, trait: 'plan', type: 'string' as const, op: 'eq' as const, value: 'gold' } };

describeEachDatabase('profile change feed claims', (ctx) => {
  it('a claim left by a dead worker goes back on the feed once stale, and is then evaluated', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const p = await seedProfile(db, ws.id, { traits: { plan: 'silver' } });
    const segment = await createSegment(db, ws.id, { name: 'gold', rule: goldRule });
    await setTraits(db, ws.id, p, { plan: 'gold' });
    // A worker claimed the profile and died: its claim is 11 minutes old, the feed holds nothing.
    await db.deleteFrom('profile_changes').where('workspace_id', '=', ws.id).execute();
    await db.insertInto('profile_change_claims').values({ workspace_id: ws.id, claim: 'dead-worker', profile_id: p, claimed_at: new Date(Date.now() - 11 * 60_000) }).execute();
    await processAllProfileChanges(db, { workspaceId: ws.id });
    const member = await db.selectFrom('segment_members').select('profile_id').where('workspace_id', '=', ws.id).where('segment_id', '=', segment.id).executeTakeFirst();
    expect(member?.profile_id).toBe(p);
    expect(await db.selectFrom('profile_change_claims').select('profile_id').where('workspace_id', '=', ws.id).execute()).toEqual([]);
  });

  it('a fresh claim of another worker is left alone; a change to the same profile meanwhile is evaluated', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const p = await seedProfile(db, ws.id, { traits: { plan: 'silver' } });
    const segment = await createSegment(db, ws.id, { name: 'gold', rule: goldRule });
    await db.deleteFrom('profile_changes').where('workspace_id', '=', ws.id).execute();
    await db.insertInto('profile_change_claims').values({ workspace_id: ws.id, claim: 'busy-worker', profile_id: p }).execute();
    await setTraits(db, ws.id, p, { plan: 'gold' }); // arrives while the other worker evaluates
    expect(await processProfileChanges(db, ws.id)).toMatchObject({ profiles: 1 });
    const member = await db.selectFrom('segment_members').select('profile_id').where('workspace_id', '=', ws.id).where('segment_id', '=', segment.id).executeTakeFirst();
    expect(member?.profile_id).toBe(p);
    const claims = await db.selectFrom('profile_change_claims').select('claim').where('workspace_id', '=', ws.id).execute();
    expect(claims).toEqual([{ claim: 'busy-worker' }]);
  });

  it('claims go oldest first by the time a profile was queued, even after its queued change widened', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const first = await seedProfile(db, ws.id);
    const second = await seedProfile(db, ws.id);
    await db.deleteFrom('profile_changes').where('workspace_id', '=', ws.id).execute();
    const queue = (id: number, event: string) => db.transaction().execute((trx) => markProfilesChanged(trx, ws.id, [id], new Map([[id, { events: [event], traits: false }]])));
    await queue(first, 'App Opened');
    await new Promise((r) => setTimeout(r, 5));
    await queue(second, 'App Opened');
    await new Promise((r) => setTimeout(r, 5));
    await queue(first, 'Product Viewed'); // widens the first profile's row (its changed_at moves on)
    const claimed = async () => {
      await processProfileChanges(db, ws.id, { limit: 1 });
      return (await db.selectFrom('profile_changes').select('profile_id').where('workspace_id', '=', ws.id).execute()).map((r) => r.profile_id);
    };
    expect(await claimed()).toEqual([second]);
    expect(await claimed()).toEqual([]);
  });

  it('a claim takes at most its limit, even of profiles queued in the same statement (same queue time)', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const ids: number[] = [];
    for (let i = 0; i < 30; i++) ids.push(await seedProfile(db, ws.id, { traits: { plan: 'silver' } }));
    await db.deleteFrom('profile_changes').where('workspace_id', '=', ws.id).execute();
    await db.transaction().execute((trx) => markProfilesChanged(trx, ws.id, ids));
    const taken: number[] = [];
    for (;;) {
      const { profiles } = await processProfileChanges(db, ws.id, { limit: 7 });
      if (profiles === 0) break;
      taken.push(profiles);
    }
    expect(taken).toEqual([7, 7, 7, 7, 2]);
  });
});

