import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

/**
 * Helpers for whole-workspace passes (segment and tag recomputes, AIPL, RFM).
 *
 * PostgreSQL never runs a statement that writes (a data-modifying CTE, INSERT … SELECT) with parallel workers, so a
 * pass that reads millions of events in the same statement as its writes reads them on one core. Splitting it in
 * two lets the read use them: `stageQuery` runs the reading query as CREATE TEMP TABLE … AS (which may use a parallel
 * plan) and keeps only its result, usually the few rows that change; the writes then read that small table.
 */

/** Runs `fn` in a transaction (the caller's, if it is one) without JIT: compiling large statements cost more CPU than it saved. */
export async function inBatchTransaction<T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  const run = async (trx: Kysely<DB> | Transaction<DB>) => {
    await sql`SELECT set_config('jit', 'off', true)`.execute(trx);
    return fn(trx);
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

let staged = 0;

/**
 * Runs a read-only query into a temporary table private to this session (dropped when the transaction ends) and
 * returns the table's name for the statements that follow. Call inside inBatchTransaction. The table is analysed so
 * that the statements reading it know its size (a few rows or a million).
 */
export async function stageQuery(trx: Kysely<DB>, prefix: string, query: RawBuilder<unknown>): Promise<string> {
  staged = (staged + 1) % 1_000_000;
  const table = `${prefix}_${process.pid}_${staged}`;
  await sql`CREATE TEMP TABLE ${sql.raw(table)} ON COMMIT DROP AS ${query}`.execute(trx);
  await sql`ANALYZE ${sql.raw(table)}`.execute(trx);
  return table;
}
