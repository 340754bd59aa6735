import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';

describeEachDatabase('OneID under concurrent batches', (ctx) => {
  it('parallel batches that create and link the same people give the sequential result, with nothing lost', async () => {
    // 40 people; each appears anonymously, then logs in, in batches sent 8 at a time in parallel.
    const batches = Array.from({ length: 16 }, (_, b) =>
      Array.from({ length: 10 }, (_, k) => {
        const person = (b * 7 + k * 3) % 40;
        return k % 2 === 0
          ? { type: 'track', anonymousId: `dev-${person}`, event: 'Viewed', messageId: `b${b}-${k}` }
          : { type: 'identify', userId: `user-${person}`, anonymousId: `dev-${person}`, context: { externalIds: [{ id: `M${person}`, type: 'member_no' }] }, messageId: `b${b}-${k}` };
      }),
    );
    const parallel = await newWorkspace(ctx.database, 'par');
    for (let i = 0; i < batches.length; i += 8) {
      await Promise.all(batches.slice(i, i + 8).map((batch) => ingestMessages(ctx.database.db, parallel.id, batch)));
    }
    const sequential = await newWorkspace(ctx.database, 'seq');
    for (const batch of batches) await ingestMessages(ctx.database.db, sequential.id, batch);

    const graph = async (ws: string) => {
      const { rows } = await sql<{ members: string }>`
        SELECT string_agg(type || ':' || value, ' ' ORDER BY type, value) AS members FROM identifiers WHERE workspace_id = ${ws} GROUP BY profile_id ORDER BY 1`.execute(ctx.database.db);
      const events = await sql<{ n: number; orphans: number }>`
        SELECT count(*)::int AS n, count(*) FILTER (WHERE profile_id IS NULL)::int AS orphans FROM events WHERE workspace_id = ${ws}`.execute(ctx.database.db);
      const pending = await sql<{ n: number }>`SELECT count(*)::int AS n FROM identity_pending WHERE workspace_id = ${ws}`.execute(ctx.database.db);
      return { profiles: rows.map((r) => r.members), events: events.rows[0], pending: pending.rows[0]!.n };
    };
    const a = await graph(parallel.id);
    expect(a).toEqual(await graph(sequential.id));
    expect(a.events).toEqual({ n: 160, orphans: 0 });
    expect(a.pending).toBe(0);
  });
});
