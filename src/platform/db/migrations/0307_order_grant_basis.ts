import { sql, type Kysely } from 'kysely';

/**
 * What an order's grant was last settled from (amounts and lines, loyalty/order-plan.ts): a stored order whose basis
 * differs was corrected and earns (or gives back) the difference. Compared on the order's own data, not on its
 * eligible amount, so a change of the brand's exclusions does not read as a correction of every old order. NULL for
 * grants settled before: their eligible amount decides once, then the basis is kept.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE points_order_grants ADD COLUMN basis text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE points_order_grants DROP COLUMN basis`.execute(db);
}
