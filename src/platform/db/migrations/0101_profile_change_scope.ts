import { sql, type Kysely } from 'kysely';

/**
 * What changed, per profile on the change feed, so the real-time rules pass re-decides only the rules a change can
 * affect. `everything` (the default) means anything may have changed; otherwise only events of `event_names`
 * arrived, and the traits if `traits_changed`. Writers that know the scope say so with `scoped = true` in the same
 * write (and merge it with the row's: `everything OR …`, names united); any other write — an insert or an
 * `ON CONFLICT … SET changed_at = now()` that does not set `scoped` — widens the row to everything (trigger), so
 * the many writers that only queue a profile stay correct without knowing about scopes. `scoped` is never stored true.
 * A writer must therefore queue with DO UPDATE, never DO NOTHING (already the rule, for locking: see
 * markProfilesChanged): a DO NOTHING on a narrow row fires no trigger and would leave the row narrow.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  for (const table of ['profile_changes', 'profile_change_claims']) {
    await sql`ALTER TABLE ${sql.table(table)}
      ADD COLUMN everything boolean NOT NULL DEFAULT true,
      ADD COLUMN event_names text[] NOT NULL DEFAULT '{}',
      ADD COLUMN traits_changed boolean NOT NULL DEFAULT false`.execute(db);
  }
  await sql`ALTER TABLE profile_changes ADD COLUMN scoped boolean NOT NULL DEFAULT false`.execute(db);
  await sql`
    CREATE FUNCTION siyu_profile_change_scope() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NOT NEW.scoped THEN
        NEW.everything := true;
      END IF;
      IF NEW.everything THEN
        NEW.event_names := '{}';
        NEW.traits_changed := false;
      END IF;
      NEW.scoped := false;
      RETURN NEW;
    END $$`.execute(db);
  await sql`
    CREATE TRIGGER profile_changes_scope BEFORE INSERT OR UPDATE ON profile_changes
    FOR EACH ROW EXECUTE FUNCTION siyu_profile_change_scope()`.execute(db);
}
