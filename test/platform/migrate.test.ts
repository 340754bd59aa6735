import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { migrateToLatest } from '../../src/platform/db/migrate.js';

describeEachDatabase('migrations', (ctx) => {
  it('creates every table and is idempotent', async () => {
    const again = await migrateToLatest(ctx.database.db);
    expect(again).toEqual([]);
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM profiles`.execute(ctx.database.db);
    expect(rows[0]?.n).toBeGreaterThanOrEqual(0);
  });
});
