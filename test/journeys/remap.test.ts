import { expect, it } from 'vitest';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { runProfileRemapHandlers } from '../../src/platform/hooks.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { unmergeProfiles } from '../../src/modules/identity/index.js';
import { enterManually, profileJourneyPaths } from '../../src/modules/journeys/index.js';
import { drainAt, nextNoon, profile, published } from './support.js';

/**
 * Merges and unmerges (docs/architecture.md, journeys): a merge moves the absorbed profile's journey rows (positions,
 * paths, outbox) to the survivor; an unmerge leaves them there: what was sent was sent to the merged person, and the
 * entry goes on with the survivor. The restored profile starts with no journey rows of its own, but the entry made
 * for it still counts for its re-entry policy.
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
    // The restored profile went through the journey (the entry was made for it): "never" still holds it back, and
    // the survivor, whose entry it is now, too.
    expect((await enterManually(db, ws, journey.id, [b, a], 't')).entered).toBe(0);
    expect(Number((await db.selectFrom('journey_entries').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', ws).executeTakeFirstOrThrow()).n)).toBe(1);
  });

  it('a profile restored by a real OneID unmerge does not re-enter a "never" journey; "after_finish" lets it back once finished', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const db = ctx.database.db;
    const at = () => new Date().toISOString();
    await ingestMessages(db, ws, [{ type: 'identify', userId: 'reentry-u', timestamp: at() }]);
    await ingestMessages(db, ws, [{ type: 'track', event: 'Viewed', anonymousId: 'reentry-a', timestamp: at() }]);
    const profileOf = async (type: string, value: string) =>
      (await db.selectFrom('identifiers').select('profile_id').where('workspace_id', '=', ws).where('type', '=', type).where('value', '=', value).executeTakeFirstOrThrow()).profile_id!;
    const u = await profileOf('userId', 'reentry-u');
    const anon = await profileOf('anonymousId', 'reentry-a');
    expect(u).toBeLessThan(anon); // the older profile survives the merge
    const definition = (reentry: string) => ({ trigger: { type: 'manual' }, start: 'w', nodes: [{ id: 'w', type: 'wait', duration: { minutes: 5 } }], policies: { reentry } });
    const never = await published(ctx.database, ws, definition('never'));
    const afterFinish = await published(ctx.database, ws, definition('after_finish'));
    expect((await enterManually(db, ws, never.id, [anon], 't')).entered).toBe(1);
    expect((await enterManually(db, ws, afterFinish.id, [anon], 't')).entered).toBe(1);

    // The anonymous visitor logs in: merged into the older profile; then an operator undoes the merge.
    await ingestMessages(db, ws, [{ type: 'identify', userId: 'reentry-u', anonymousId: 'reentry-a', timestamp: at() }]);
    expect(await profileOf('anonymousId', 'reentry-a')).toBe(u);
    const merge = await db.selectFrom('profile_merges').select('id').where('workspace_id', '=', ws).where('kind', '=', 'merge').where('other_profile_id', '=', anon).executeTakeFirstOrThrow();
    await unmergeProfiles(db, ws, merge.id, 'test');
    expect(await profileOf('anonymousId', 'reentry-a')).toBe(anon);
    const live = await db.selectFrom('profiles').select('merged_into').where('workspace_id', '=', ws).where('id', '=', anon).executeTakeFirstOrThrow();
    expect(live.merged_into).toBeNull();

    // Restored: never means never; after_finish waits for the entry (now the survivor's) to finish.
    expect((await enterManually(db, ws, never.id, [anon], 't')).entered).toBe(0);
    expect((await enterManually(db, ws, afterFinish.id, [anon], 't')).entered).toBe(0);
    const t0 = new Date(Date.now() + 1_000);
    await drainAt(ctx.database, ws, t0);
    await drainAt(ctx.database, ws, new Date(t0.getTime() + 6 * 60_000));
    const statuses = await db.selectFrom('journey_entries').select(['profile_id', 'status']).where('workspace_id', '=', ws).execute();
    expect(statuses).toEqual([{ profile_id: u, status: 'finished' }, { profile_id: u, status: 'finished' }]);
    expect((await enterManually(db, ws, never.id, [anon], 't')).entered).toBe(0);
    expect((await enterManually(db, ws, afterFinish.id, [anon], 't')).entered).toBe(1);
  });
});
