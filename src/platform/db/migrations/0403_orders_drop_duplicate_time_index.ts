import { sql, type Kysely } from 'kysely';

/**
 * `orders_ordered_at` (0402, for the overview's daily GMV) has the same key as `orders_time_counted` (0120), which
 * also carries the columns both readers need: one index to maintain per order instead of two.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`DROP INDEX IF EXISTS orders_ordered_at`.execute(db);
}
