import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';

/**
 * Ingest rewrites a profile row only when something it holds would change: a trait value or its time, or first/last
 * seen (last seen kept to the minute). The row's xmin tells whether the row was rewritten.
 */
describeEachDatabase('profile touches from ingest', (ctx) => {
  let n = 0;
  const send = (ws: string, message: Record<string, unknown>) =>
    ingestMessages(ctx.database.db, ws, [{ userId: 'u-touch', messageId: `touch-${++n}`, ...message }]);
  const state = async (ws: string) => {
    const { rows } = await sql<{ xmin: string; traits: Record<string, unknown>; trait_times: Record<string, string>; first_seen_at: Date; last_seen_at: Date }>`
      SELECT p.xmin::text AS xmin, p.traits, p.trait_times, p.first_seen_at, p.last_seen_at FROM profiles p
      JOIN identifiers i ON i.workspace_id = p.workspace_id AND i.profile_id = p.id
      WHERE p.workspace_id = ${ws} AND i.type = 'userId' AND i.value = 'u-touch'`.execute(ctx.database.db);
    return rows[0]!;
  };

  it('skips the rewrite when nothing changes and applies every real change', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    await send(ws, { type: 'track', event: 'Store Visited', timestamp: '2026-03-10T09:00:00.000Z' });
    await send(ws, { type: 'identify', traits: { city: '上海', tier: 'gold' }, timestamp: '2026-03-10T10:00:00.000Z' });
    const start = await state(ws);
    expect(start.traits).toEqual({ city: '上海', tier: 'gold' });

    // Older trait values, the same value at the same time, an event within the last-seen minute: nothing to write.
    await send(ws, { type: 'identify', traits: { city: '北京' }, timestamp: '2026-03-10T09:30:00.000Z' });
    await send(ws, { type: 'identify', traits: { tier: 'gold' }, timestamp: '2026-03-10T10:00:00.000Z' });
    await send(ws, { type: 'track', event: 'Product Viewed', timestamp: '2026-03-10T10:00:30.000Z' });
    const unchanged = await state(ws);
    expect(unchanged.xmin).toBe(start.xmin);
    expect(unchanged.traits).toEqual({ city: '上海', tier: 'gold' });

    // The same time with another value wins (newest-or-equal rule), as it always did.
    await send(ws, { type: 'identify', traits: { tier: 'platinum' }, timestamp: '2026-03-10T10:00:00.000Z' });
    const tie = await state(ws);
    expect(tie.xmin).not.toBe(start.xmin);
    expect(tie.traits).toEqual({ city: '上海', tier: 'platinum' });

    // A newer value, a new trait; then an earlier first-seen and a later last-seen.
    await send(ws, { type: 'identify', traits: { city: '杭州', age: 30 }, timestamp: '2026-03-11T10:00:00.000Z' });
    const newer = await state(ws);
    expect(newer.traits).toEqual({ city: '杭州', tier: 'platinum', age: 30 });
    expect(newer.trait_times.city).toBe('2026-03-11T10:00:00.000Z');
    expect(newer.trait_times.tier).toBe('2026-03-10T10:00:00.000Z');
    await send(ws, { type: 'track', event: 'Store Visited', timestamp: '2026-03-01T00:00:00.000Z' });
    await send(ws, { type: 'track', event: 'Store Visited', timestamp: '2026-03-12T00:00:00.000Z' });
    const seen = await state(ws);
    expect(seen.first_seen_at.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(seen.last_seen_at.toISOString()).toBe('2026-03-12T00:00:00.000Z');
  });

  it('keeps traits named like built-in object properties, and their updates', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    await send(ws, { type: 'track', event: 'Store Visited', timestamp: '2026-03-10T09:00:00.000Z' });
    const traits = JSON.parse('{"constructor":"c1","toString":"t1","valueOf":1,"hasOwnProperty":true,"city":"上海"}');
    await send(ws, { type: 'identify', traits, timestamp: '2026-03-10T10:00:00.000Z' });
    expect((await state(ws)).traits).toEqual(JSON.parse('{"constructor":"c1","toString":"t1","valueOf":1,"hasOwnProperty":true,"city":"上海"}'));
    await send(ws, { type: 'identify', traits: JSON.parse('{"constructor":"c2"}'), timestamp: '2026-03-10T11:00:00.000Z' });
    const after = await state(ws);
    expect(after.traits).toEqual(JSON.parse('{"constructor":"c2","toString":"t1","valueOf":1,"hasOwnProperty":true,"city":"上海"}'));
    expect(Object.keys(after.trait_times).sort()).toEqual(['city', 'constructor', 'hasOwnProperty', 'toString', 'valueOf']);
  });

  it('still queues every touched profile on the change feed, rewritten or not', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    await send(ws, { type: 'identify', traits: { city: '上海' }, timestamp: '2026-03-10T10:00:00.000Z' });
    await sql`DELETE FROM profile_changes WHERE workspace_id = ${ws}`.execute(ctx.database.db);
    await send(ws, { type: 'identify', traits: { city: '北京' }, timestamp: '2026-03-09T10:00:00.000Z' });
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM profile_changes WHERE workspace_id = ${ws}`.execute(ctx.database.db);
    expect(rows[0]!.n).toBe(1);
  });
});
