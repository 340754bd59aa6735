import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { getProfile, lookupProfile } from '../../src/modules/profiles/index.js';
import { prepareMessages, storeMessages } from '../../src/modules/ingest/index.js';
import { newWorkspace } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';

/**
 * The 360° view is read with a named statement on PostgreSQL (parsed and planned once per connection), and with the
 * same SQL through Kysely on PGlite: both answer the same, by identifier and by id, also for an unknown one.
 */
describeEachDatabase('profile view statement', (ctx) => {
  it('answers the same on both paths, and on PostgreSQL is prepared once per connection', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    const { messages } = prepareMessages(
      [{ type: 'identify', userId: 'view-u1', anonymousId: 'view-a1', traits: { name: '林青', email: 'Lin@Example.com' }, messageId: `view-${ws.id}` }],
      { receivedAt: new Date() },
    );
    await storeMessages(db, ws.id, messages);
    const byIdentifier = await lookupProfile(db, ws.id, 'email', 'lin@example.com');
    expect(byIdentifier.traits).toMatchObject({ name: '林青' });
    expect(byIdentifier.identifiers.map((i) => i.type).sort()).toEqual(['anonymousId', 'email', 'userId']);
    expect(await getProfile(db, ws.id, byIdentifier.id)).toEqual(byIdentifier);
    await expect(lookupProfile(db, ws.id, 'userId', 'nobody')).rejects.toMatchObject({ code: 'not_found' });

    // Within one transaction (one connection): after a read, the connection holds the prepared statement.
    const prepared = await db.transaction().execute(async (trx) => {
      expect((await lookupProfile(trx, ws.id, 'userId', 'view-u1')).id).toBe(byIdentifier.id);
      const { rows } = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements WHERE name = 'siyu_profile_view_v1'`.execute(trx);
      return rows.length;
    });
    expect(prepared).toBe(ctx.kind === 'postgres' ? 1 : 0);
  });
});
