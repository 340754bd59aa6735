import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { enterManually, pauseJourney, profileJourneyPaths, publishJourney } from '../../src/modules/journeys/index.js';
import { drainAt, nextNoon, profile, published } from './support.js';

const MINUTE = 60_000;

describeEachDatabase('pausing a journey', (ctx) => {
  it('holds people where they are without moving their timers; on resume the overdue go at once, the rest on time', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const [early, late] = [await profile(ctx.database, ws, 'early'), await profile(ctx.database, ws, 'late')];
    const journey = await published(ctx.database, ws, { trigger: { type: 'manual' }, start: 'w', nodes: [{ id: 'w', type: 'wait', duration: { minutes: 5 } }] });
    const t0 = nextNoon();
    await enterManually(ctx.database.db, ws, journey.id, [early], 't');
    await drainAt(ctx.database, ws, t0); // early waits until t0 + 5 min
    await enterManually(ctx.database.db, ws, journey.id, [late], 't');
    await drainAt(ctx.database, ws, new Date(t0.getTime() + 3 * MINUTE)); // late waits until t0 + 8 min
    const dueOf = async () => {
      const rows = await ctx.database.db.selectFrom('journey_entries').select(['profile_id', 'status', 'node_id', 'due_at']).where('workspace_id', '=', ws).execute();
      return Object.fromEntries(rows.map((r) => [r.profile_id === early ? 'early' : 'late', { status: r.status, node: r.node_id, due: new Date(r.due_at).getTime() }]));
    };
    const before = await dueOf();
    expect(before).toEqual({ early: { status: 'active', node: 'w', due: t0.getTime() + 5 * MINUTE }, late: { status: 'active', node: 'w', due: t0.getTime() + 8 * MINUTE } });

    await pauseJourney(ctx.database.db, ws, journey.id);
    // early's timer falls due during the pause: nobody moves, and no due time is pushed.
    await drainAt(ctx.database, ws, new Date(t0.getTime() + 6 * MINUTE));
    expect(await dueOf()).toEqual(before);

    await publishJourney(ctx.database.db, ws, journey.id); // resume
    // One second after the resume: early goes at once; late is not fired early.
    await drainAt(ctx.database, ws, new Date(t0.getTime() + 6 * MINUTE + 1_000));
    const resumed = await dueOf();
    expect(resumed.early!.status).toBe('finished');
    expect(resumed.late).toEqual(before.late);
    await drainAt(ctx.database, ws, new Date(t0.getTime() + 8 * MINUTE));
    expect((await dueOf()).late!.status).toBe('finished');
    const [path] = await profileJourneyPaths(ctx.database.db, ws, early);
    expect(path!.steps.map((s) => s.outcome)).toEqual(expect.arrayContaining(['entered', 'waited']));
  });
});
