import { expect, it, vi } from 'vitest';
import { createSegment, startRulesWorker } from '../../src/modules/segments/index.js';
import { describeEachDatabase } from '../support/databases.js';
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
});
