import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { runProfileRemapHandlers } from '../../src/platform/hooks.js';
import { enterManually, profileJourneyPaths } from '../../src/modules/journeys/index.js';
import { drainAt, nextNoon, profile, published } from './support.js';

/**
 * Merges and unmerges (docs/architecture.md, journeys): a merge moves the absorbed profile's journey rows (positions,
 * paths, outbox) to the survivor; an unmerge leaves them there: what was sent was sent to the merged person, and the
 * entry goes on with the survivor. The restored profile starts with no journey rows (it may enter again).
 */
describeEachDatabase('journey rows across merge and unmerge', (ctx) => {
  it('follow the survivor on a merge and stay with it on an unmerge; the entry keeps running', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const db = ctx.database.db;
    const [a, b] = [await profile(ctx.database, ws, 'remap-a'), await profile(ctx.database, ws, 'remap-b')];
    const journey = await published(ctx.database, ws, {
      trigger: { type: 'manual' }, start: 'w', nodes: [{ id: 'w', type: 'wait', duration: { minutes: 5 } }], policies: { reentry: 'never' },
    });
    await enterManually(db, ws, journey.id, [b], 't');
    const t0 = nextNoon();
    await drainAt(ctx.database, ws, t0);
    const rowsOf = async (table: 'journey_entries' | 'journey_steps') =>
      (await db.selectFrom(table).select('profile_id').where('workspace_id', '=', ws).execute()).map((r) => r.profile_id);

    await db.transaction().execute((trx) => runProfileRemapHandlers(trx, ws, [{ from: b, to: a }])); // b merged into a
    expect(await rowsOf('journey_entries')).toEqual([a]);
    expect(new Set(await rowsOf('journey_steps'))).toEqual(new Set([a]));

    await db.transaction().execute((trx) => runProfileRemapHandlers(trx, ws, [{ from: b, to: b }])); // the unmerge
    expect(await rowsOf('journey_entries')).toEqual([a]);
    expect(new Set(await rowsOf('journey_steps'))).toEqual(new Set([a]));
    expect(await profileJourneyPaths(db, ws, b)).toEqual([]);

    // The entry goes on with the survivor (not exited as profile_gone) and finishes.
    await drainAt(ctx.database, ws, new Date(t0.getTime() + 6 * 60_000));
    const [path] = await profileJourneyPaths(db, ws, a);
    expect(path!.status).toBe('finished');
    // The restored profile has no entry of its own: re-entry "never" does not hold it back.
    expect((await enterManually(db, ws, journey.id, [b], 't')).entered).toBe(1);
  });
});
