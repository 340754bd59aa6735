import { expect, it } from 'vitest';
import { sql, type Transaction } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import type { DB } from '../../src/platform/db/schema.js';
import { applyProfileTouches } from '../../src/modules/identity/index.js';
import { resolveBatch } from '../../src/modules/identity/resolve.js';
import { rulesFrom } from '../../src/modules/identity/identifiers.js';

/**
 * What ingest writes per event, counted inside one transaction as the change of pg_stat_get_xact_* across the code
 * under test. The functions read the backend's pending counts, which since PostgreSQL 15 also hold earlier
 * transactions' rows until the backend flushes them (at most once a second; PGlite, one backend for the whole test
 * file, flushes when it likes), so only the difference is this code's own: new people's identifiers are inserted with their profile (no second write of each identifier), and a
 * profile whose last-seen time moves on is rewritten as a HOT update (no index holds what ingest rewrites).
 */
describeEachDatabase('rows ingest writes', (ctx) => {
  const counts = async (trx: Transaction<DB>, table: string) => {
    const { rows } = await sql<{ updated: number; hot: number }>`
      SELECT pg_stat_get_xact_tuples_updated(${table}::regclass)::int AS updated,
             pg_stat_get_xact_tuples_hot_updated(${table}::regclass)::int AS hot`.execute(trx);
    return rows[0]!;
  };
  const at = (s: string) => new Date(`2026-03-10T${s}.000Z`);

  it('inserts brand-new people with their profile set, without updating any identifier', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    await ctx.database.db.transaction().execute(async (trx) => {
      const before = await counts(trx, 'identifiers');
      const result = await resolveBatch(trx, ws, [
        { messageId: 'm1', time: at('10:00:00'), identifiers: [{ type: 'userId', value: 'u1' }, { type: 'anonymousId', value: 'a1' }, { type: 'email', value: 'u1@example.cn' }] },
        { messageId: 'm2', time: at('09:00:00'), identifiers: [{ type: 'anonymousId', value: 'a1' }, { type: 'anonymousId', value: 'a1b' }] },
        { messageId: 'm3', time: at('10:00:00'), identifiers: [{ type: 'anonymousId', value: 'a2' }] },
        // Two userIds in one record: the limit keeps them apart (a conflict), each its own new profile.
        { messageId: 'm4', time: at('11:00:00'), identifiers: [{ type: 'userId', value: 'u3' }, { type: 'userId', value: 'u4' }] },
      ], rulesFrom({}));
      expect(result.pending).toEqual([]);
      const identifiersUpdated = (await counts(trx, 'identifiers')).updated - before.updated;
      expect(result.newProfiles).toHaveLength(4);
      expect(identifiersUpdated).toBe(0);
      const ids = await trx.selectFrom('identifiers').select(['value', 'profile_id', 'origin_profile_id']).where('workspace_id', '=', ws).orderBy('value').execute();
      const profileOf = Object.fromEntries(ids.map((i) => [i.value, i.profile_id]));
      expect(ids.every((i) => i.profile_id !== null && i.origin_profile_id === i.profile_id)).toBe(true);
      expect(new Set([profileOf.u1, profileOf.a1, profileOf['u1@example.cn'], profileOf.a1b]).size).toBe(1);
      expect(new Set([profileOf.u1, profileOf.a2, profileOf.u3, profileOf.u4]).size).toBe(4);
      expect(result.items.map((i) => i.profileId)).toEqual([profileOf.u1, profileOf.u1, profileOf.a2, profileOf.u3]);
      const profiles = await trx.selectFrom('profiles').select(['id', 'first_seen_at']).where('workspace_id', '=', ws).orderBy('id').execute();
      expect(profiles.map((p) => p.id).sort()).toEqual([...result.newProfiles].sort());
      expect(profiles.find((p) => p.id === profileOf.u1)!.first_seen_at!.toISOString()).toBe(at('09:00:00').toISOString());
      const conflicts = await trx.selectFrom('identity_conflicts').select('reason').where('workspace_id', '=', ws).execute();
      expect(conflicts.map((c) => c.reason)).toEqual(['limit:userId']);
    });
  });

  it('rewrites a profile whose last-seen moves on without touching its indexes (a HOT update)', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const profileId = await ctx.database.db.transaction().execute(async (trx) => {
      const result = await resolveBatch(trx, ws, [{ messageId: 'h1', time: at('10:00:00'), identifiers: [{ type: 'userId', value: 'hot' }] }], rulesFrom({}));
      return result.items[0]!.profileId!;
    });
    await ctx.database.db.transaction().execute(async (trx) => {
      const before = await counts(trx, 'profiles');
      await applyProfileTouches(trx, ws, [{ profileId, time: at('12:00:00'), type: 'track', event: 'Store Visited' }]);
      await applyProfileTouches(trx, ws, [{ profileId, time: at('12:30:00'), type: 'identify', traits: { city: '上海' }, event: null }]);
      const after = await counts(trx, 'profiles');
      expect({ updated: after.updated - before.updated, hot: after.hot - before.hot }).toEqual({ updated: 2, hot: 2 });
    });
    const row = await ctx.database.db.selectFrom('profiles').select(['last_seen_at', 'traits']).where('workspace_id', '=', ws).where('id', '=', profileId).executeTakeFirstOrThrow();
    expect(row.last_seen_at!.toISOString()).toBe(at('12:30:00').toISOString());
    expect(row.traits).toEqual({ city: '上海' });
  });

  it('keeps each link\'s earliest evidence across batches: later evidence writes nothing, earlier evidence and ties broken by message id replace it', async () => {
    const ws = (await newWorkspace(ctx.database)).id;
    const pair = (messageId: string, time: string) => ({ messageId, time: at(time), identifiers: [{ type: 'userId', value: 'lu' }, { type: 'anonymousId', value: 'la' }] });
    const resolve = (items: ReturnType<typeof pair>[]) => ctx.database.db.transaction().execute((trx) => resolveBatch(trx, ws, items, rulesFrom({})));
    const link = async () => {
      const rows = await ctx.database.db.selectFrom('identity_links').select(['event_time', 'message_id']).where('workspace_id', '=', ws).execute();
      expect(rows).toHaveLength(1);
      return { time: rows[0]!.event_time.toISOString(), messageId: rows[0]!.message_id };
    };
    await resolve([pair('m5', '10:00:00')]);
    expect(await link()).toEqual({ time: at('10:00:00').toISOString(), messageId: 'm5' });
    // Later evidence (and the same evidence again): no write, nothing to recompute.
    expect((await resolve([pair('m9', '11:00:00'), pair('m5', '10:00:00')])).pending).toEqual([]);
    expect(await link()).toEqual({ time: at('10:00:00').toISOString(), messageId: 'm5' });
    // A tie on time with a smaller message id, then earlier evidence (the earliest of the batch's two): replaced.
    await resolve([pair('m3', '10:00:00')]);
    expect(await link()).toEqual({ time: at('10:00:00').toISOString(), messageId: 'm3' });
    await resolve([pair('m8', '09:30:00'), pair('m7', '09:00:00')]);
    expect(await link()).toEqual({ time: at('09:00:00').toISOString(), messageId: 'm7' });
  });
});
