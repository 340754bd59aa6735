import { expect, it, vi } from 'vitest';
import { createSegment, startRulesWorker } from '../../src/modules/segments/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { markProfilesChanged } from '../../src/modules/identity/index.js';
import { newTestWorkspace, seedProfile, setTraits } from '../rules/seed.js';

describeEachDatabase('rules worker', (ctx) => {
  it('drains the profile change feed in the background and runs the daily pass', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const p = await seedProfile(db, ws.id, { traits: { plan: 'silver' } });
    const segment = await createSegment(db, ws.id, { name: 'gold', rule: { version: 1, condition: { kind: 'trait', trait: 'plan', type: 'string', op: 'eq', value: 'gold' } } });
    const stop = startRulesWorker(db, { intervalMs: 20, workspaceId: ws.id });
    try {
      await setTraits(db, ws.id, p, { plan: 'gold' });
      await vi.waitFor(
        async () => {
          const row = await db.selectFrom('segment_members').select('profile_id').where('workspace_id', '=', ws.id).where('segment_id', '=', segment.id).executeTakeFirst();
          expect(row?.profile_id).toBe(p);
        },
        { timeout: 20_000, interval: 50 },
      );
      await vi.waitFor(
        async () => expect(await db.selectFrom('lifecycle_daily').select('day').where('workspace_id', '=', ws.id).execute()).toHaveLength(4),
        { timeout: 20_000, interval: 50 },
      );
      // Entering queued the profile once more (its Segment Entered event); that pass changes nothing and the feed empties.
      await vi.waitFor(
        async () => expect(await db.selectFrom('profile_changes').select('profile_id').where('workspace_id', '=', ws.id).execute()).toEqual([]),
        { timeout: 20_000, interval: 50 },
      );
      const entered = await db.selectFrom('events').select('event').where('workspace_id', '=', ws.id).where('event', 'like', 'Segment %').execute();
      expect(entered.map((e) => e.event)).toEqual(['Segment Entered']);
    } finally {
      await stop();
    }
  });

  it('while ingest is behind, each lane takes one claim per behind interval; once ingest caught up it drains the rest', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const ids: number[] = [];
    for (let i = 0; i < 7; i++) ids.push(await seedProfile(db, ws.id));
    await db.deleteFrom('profile_changes').where('workspace_id', '=', ws.id).execute();
    await db.transaction().execute((trx) => markProfilesChanged(trx, ws.id, ids, new Map(ids.map((id) => [id, { events: ['Product Viewed'], traits: false }]))));
    const queued = async () => (await db.selectFrom('profile_changes').select('profile_id').where('workspace_id', '=', ws.id).execute()).length;
    const pairsOnly = ctx.database.kind === 'pglite';
    const lanes = pairsOnly ? 1 : 2;
    let behind = true;
    const stop = startRulesWorker(db, { intervalMs: 20, workspaceId: ws.id, pairsOnly, ingestBehind: () => behind, behindIntervalMs: 3_000, behindClaim: 2 });
    try {
      // Each lane's first pass takes one claim of 2 and stops, though the feed still holds more.
      await vi.waitFor(async () => expect(await queued()).toBeLessThanOrEqual(7 - 2 * lanes), { timeout: 2_500, interval: 20 });
      await new Promise((r) => setTimeout(r, 300));
      expect(await queued()).toBe(7 - 2 * lanes);
      behind = false;
      await vi.waitFor(async () => expect(await queued()).toBe(0), { timeout: 20_000, interval: 50 });
    } finally {
      await stop();
    }
  });
});

describeEachDatabase('rules worker, paused', (ctx) => {
  it('takes no real-time pass while paused (the demo brand loading) and drains the feed once resumed', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push(await seedProfile(db, ws.id));
    const queued = async () => (await db.selectFrom('profile_changes').select('profile_id').where('workspace_id', '=', ws.id).execute()).length;
    expect(await queued()).toBe(3);
    let paused = true;
    let asked = 0;
    const stop = startRulesWorker(db, { intervalMs: 20, workspaceId: ws.id, pairsOnly: ctx.database.kind === 'pglite', behindIntervalMs: 50, paused: () => (asked++, paused) });
    try {
      await vi.waitFor(() => expect(asked).toBeGreaterThanOrEqual(5), { timeout: 5_000, interval: 20 });
      expect(await queued()).toBe(3);
      paused = false;
      await vi.waitFor(async () => expect(await queued()).toBe(0), { timeout: 20_000, interval: 50 });
    } finally {
      await stop();
    }
  });
});
