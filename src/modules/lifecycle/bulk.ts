import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';

/**
 * Runs a whole-workspace pass (one large statement over every profile) in a transaction without JIT compilation:
 * at 1M profiles PostgreSQL spent ~6 s of CPU compiling the RFM statement (inlining and optimisation, chosen by
 * its cost), more than it saved. Inside a caller's transaction the setting holds until that one ends.
 */
export async function inBulkTransaction<T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  const run = async (trx: Kysely<DB> | Transaction<DB>) => {
    await sql`SELECT set_config('jit', 'off', true)`.execute(trx);
    return fn(trx);
  };
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}
