import { expect, it } from 'vitest';
import { createSegment, processAllProfileChanges, runDailyPass } from '../../src/modules/segments/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { addEvents, newTestWorkspace, seedProfile } from '../rules/seed.js';

describeEachDatabase('daily pass', (ctx) => {
  it('decides each step as of its own start, so it keeps what real time gave for events newer than the pass', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const p = await seedProfile(db, ws.id);
    const segment = await createSegment(db, ws.id, { name: 'probed today', rule: { version: 1, condition: { kind: 'event', event: 'Probe', window: { type: 'last_days', days: 1 } } } });
    await processAllProfileChanges(db, { workspaceId: ws.id });

    // While the pass runs (after its first step), an event arrives and real time puts the profile in the segment;
    // a segment step that still judged as of the pass's start would see that event as in the future and remove her.
    let arrived = false;
    await runDailyPass(db, ws.id, undefined, async () => {
      if (arrived) return;
      arrived = true;
      await new Promise((r) => setTimeout(r, 20));
      await addEvents(db, ws.id, p, [{ event: 'Probe', timestamp: new Date() }]);
      await processAllProfileChanges(db, { workspaceId: ws.id });
      const during = await db.selectFrom('segment_members').select('profile_id').where('workspace_id', '=', ws.id).where('segment_id', '=', segment.id).execute();
      expect(during.map((r) => r.profile_id)).toEqual([p]);
    });
    expect(arrived).toBe(true);
    const after = await db.selectFrom('segment_members').select('profile_id').where('workspace_id', '=', ws.id).where('segment_id', '=', segment.id).execute();
    expect(after.map((r) => r.profile_id)).toEqual([p]);
  });
});
