import { sql, type RawBuilder } from 'kysely';

/**
 * The two-key form of an advisory lock's key, for `pg_advisory_xact_lock(…)` and its shared variant: the schema the
 * session works in, then the lock's own name. Advisory locks are database-wide, so two Siyu installations in one
 * PostgreSQL database (staging and production in two schemas, say), both with the demo brand's workspace id, would
 * otherwise wait on each other's locks.
 */
export function advisoryKey(name: string): RawBuilder<unknown> {
  return sql`hashtext(current_schema()), hashtext(${name})`;
}
