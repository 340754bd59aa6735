import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { seedSyntheticData } from '../../src/modules/demo/index.js';
import { computeRfm, refreshStages } from '../../src/modules/lifecycle/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';

describeEachDatabase('synthetic benchmark data (siyu bench seed)', (ctx) => {
  it('writes the asked-for volumes with consistent ids, repeatably, and refuses a workspace that has profiles', async () => {
    const { db } = ctx.database;
    const a = await newWorkspace(ctx.database);
    const b = await newWorkspace(ctx.database);
    const progress: string[] = [];
    const result = await seedSyntheticData(db, a.id, { profiles: 300, eventsPerProfile: 5, ordersPerProfile: 1, seed: 0.1, onProgress: (p) => progress.push(p.step) });
    expect(result).toEqual({ profiles: 300, events: 1500, orders: 300 });
    expect(new Set(progress)).toEqual(new Set(['profiles', 'events', 'orders', 'analyze']));
    const counts = async (ws: string) =>
      (
        await sql<{ p: number; e: number; o: number; bad: number }>`SELECT
          (SELECT count(*)::int FROM profiles WHERE workspace_id = ${ws}) AS p,
          (SELECT count(*)::int FROM events WHERE workspace_id = ${ws}) AS e,
          (SELECT count(*)::int FROM orders WHERE workspace_id = ${ws}) AS o,
          (SELECT count(*)::int FROM events e JOIN identifiers i ON i.workspace_id = e.workspace_id AND i.id = e.identifier_id
            WHERE e.workspace_id = ${ws} AND i.profile_id IS DISTINCT FROM e.profile_id) AS bad`.execute(db)
      ).rows[0]!;
    expect(await counts(a.id)).toEqual({ p: 300, e: 1500, o: 300, bad: 0 });
    // Same seed, same data (up to ids): the same event names per synthetic user.
    await seedSyntheticData(db, b.id, { profiles: 300, eventsPerProfile: 5, ordersPerProfile: 1, seed: 0.1 });
    const shape = async (ws: string) =>
      (
        await sql<{ v: string; n: number }>`SELECT i.value || ':' || e.event AS v, count(*)::int AS n FROM events e
          JOIN identifiers i ON i.workspace_id = e.workspace_id AND i.id = e.identifier_id
          WHERE e.workspace_id = ${ws} GROUP BY 1 ORDER BY 1`.execute(db)
      ).rows;
    expect(await shape(b.id)).toEqual(await shape(a.id));
    await expect(seedSyntheticData(db, a.id, { profiles: 10 })).rejects.toThrow(/already has profiles/);
    await expect(seedSyntheticData(db, a.id, { profiles: 0 })).rejects.toThrow(/--profiles/);
    // The rules tier runs on it.
    const stages = await refreshStages(db, a.id, new Date());
    expect(stages.changed).toBeGreaterThan(0);
    expect((await computeRfm(db, a.id, new Date())).profiles).toBeGreaterThan(0);
  });
});
