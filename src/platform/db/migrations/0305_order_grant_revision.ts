import { sql, type Kysely } from 'kysely';

/**
 * An order's points follow corrected versions of it (a higher amount earns the difference, another customer takes
 * the points over: loyalty/order-plan.ts). Each such step starts a new revision of the order's grant, whose number
 * goes into the step's idempotency keys, so a target reached twice (raised, refunded, raised again) is two steps.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE points_order_grants ADD COLUMN revision integer NOT NULL DEFAULT 0`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE points_order_grants DROP COLUMN revision`.execute(db);
}
