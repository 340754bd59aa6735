import { sql, type Kysely } from 'kysely';

/**
 * One points operation = one statement (src/modules/loyalty/ledger.ts): the same steps the ledger ran as five to
 * seven round trips, as server-side functions. Each locks the profile's account row first (upsert), then looks up
 * the idempotency key in a statement of its own, so a replay racing its original waits for the lock and then sees
 * it. Errors: LY001 = not enough points for a redemption, LY002 = idempotency key used for another profile.
 *
 * siyu_points_credit: an entry and its lot; outstanding debt is paid first (a `reverse` entry "debt repayment").
 * siyu_points_take: due lots expire (one entry each), then the points are taken from the lots (the source's own lots
 * first for a reversal, then soonest expiry, then oldest); with p_allow_debt what is missing becomes debt, without
 * it the operation is refused.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION siyu_points_lock(p_ws text, p_profile bigint, p_key text,
      OUT r_balance bigint, OUT r_debt bigint, OUT r_pending bigint,
      OUT r_replay_id bigint, OUT r_replay_points bigint, OUT r_replay_debt bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      e record;
    BEGIN
      INSERT INTO points_accounts AS a (workspace_id, profile_id) VALUES (p_ws, p_profile)
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET updated_at = now()
      RETURNING a.balance, a.debt, a.pending INTO r_balance, r_debt, r_pending;
      IF p_key IS NULL THEN RETURN; END IF;
      SELECT pe.id, pe.points, pe.debt_delta, pe.profile_id INTO e
      FROM points_entries pe WHERE pe.workspace_id = p_ws AND pe.idempotency_key = p_key;
      IF NOT FOUND THEN RETURN; END IF;
      IF e.profile_id <> p_profile THEN
        RAISE EXCEPTION 'idempotency key % was used for another profile', p_key USING ERRCODE = 'LY002';
      END IF;
      r_replay_id := e.id;
      r_replay_points := e.points;
      r_replay_debt := greatest(0, e.debt_delta);
    END $$;

    CREATE FUNCTION siyu_points_credit(p_ws text, p_profile bigint, p_points bigint, p_kind text, p_reason text,
      p_source_type text, p_source_id text, p_key text, p_created_by text, p_expires_at timestamptz,
      OUT r_entry_id bigint, OUT r_replayed boolean, OUT r_points bigint, OUT r_debt_recorded bigint,
      OUT r_balance bigint, OUT r_debt bigint, OUT r_pending bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      acct record;
      v_repay bigint;
    BEGIN
      SELECT * INTO acct FROM siyu_points_lock(p_ws, p_profile, p_key);
      r_balance := acct.r_balance; r_debt := acct.r_debt; r_pending := acct.r_pending; r_debt_recorded := 0;
      IF acct.r_replay_id IS NOT NULL THEN
        r_entry_id := acct.r_replay_id; r_replayed := true; r_points := acct.r_replay_points; r_debt_recorded := acct.r_replay_debt;
        RETURN;
      END IF;
      v_repay := least(acct.r_debt, p_points);
      INSERT INTO points_entries (workspace_id, profile_id, origin_profile_id, kind, points, reason, source_type, source_id, idempotency_key, created_by)
      VALUES (p_ws, p_profile, p_profile, p_kind, p_points, p_reason, p_source_type, p_source_id, p_key, p_created_by)
      RETURNING id INTO r_entry_id;
      INSERT INTO points_lots (workspace_id, entry_id, profile_id, origin_profile_id, points, remaining, source_type, source_id, expires_at)
      VALUES (p_ws, r_entry_id, p_profile, p_profile, p_points, p_points - v_repay, p_source_type, p_source_id, p_expires_at);
      IF v_repay > 0 THEN
        INSERT INTO points_entries (workspace_id, profile_id, origin_profile_id, kind, points, debt_delta, reason, source_type, source_id, idempotency_key)
        VALUES (p_ws, p_profile, p_profile, 'reverse', -v_repay, -v_repay, 'debt repayment', 'system', 'entry:' || r_entry_id, p_key || '#debt');
      END IF;
      UPDATE points_accounts SET balance = balance + p_points - v_repay, debt = debt - v_repay,
        lifetime_earned = lifetime_earned + CASE WHEN p_kind = 'earn' THEN p_points ELSE 0 END, updated_at = now()
      WHERE workspace_id = p_ws AND profile_id = p_profile
      RETURNING balance, debt, pending INTO r_balance, r_debt, r_pending;
      INSERT INTO profile_changes (workspace_id, profile_id) VALUES (p_ws, p_profile)
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now();
      r_replayed := false;
      r_points := p_points - v_repay;
    END $$;

    CREATE FUNCTION siyu_points_take(p_ws text, p_profile bigint, p_points bigint, p_kind text, p_reason text,
      p_source_type text, p_source_id text, p_key text, p_created_by text, p_now timestamptz, p_allow_debt boolean,
      OUT r_entry_id bigint, OUT r_replayed boolean, OUT r_points bigint, OUT r_debt_recorded bigint,
      OUT r_balance bigint, OUT r_debt bigint, OUT r_pending bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      acct record;
      v_expired bigint;
      v_available bigint;
      v_taken bigint;
      v_prefer boolean := p_kind = 'reverse' AND p_source_id IS NOT NULL;
    BEGIN
      SELECT * INTO acct FROM siyu_points_lock(p_ws, p_profile, p_key);
      r_balance := acct.r_balance; r_debt := acct.r_debt; r_pending := acct.r_pending;
      IF acct.r_replay_id IS NOT NULL THEN
        r_entry_id := acct.r_replay_id; r_replayed := true; r_points := acct.r_replay_points; r_debt_recorded := acct.r_replay_debt;
        RETURN;
      END IF;
      -- A spend never uses expired points: due lots expire first, one entry per lot.
      WITH due AS (
        UPDATE points_lots l SET remaining = 0
        FROM (SELECT entry_id, remaining FROM points_lots
              WHERE workspace_id = p_ws AND profile_id = p_profile AND remaining > 0 AND expires_at <= p_now) d
        WHERE l.workspace_id = p_ws AND l.entry_id = d.entry_id
        RETURNING d.entry_id, d.remaining, l.expires_at
      ), logged AS (
        INSERT INTO points_entries (workspace_id, profile_id, origin_profile_id, kind, points, reason, source_type, source_id, idempotency_key)
        SELECT p_ws, p_profile, p_profile, 'expire', -due.remaining, 'points expired', 'system', 'lot:' || due.entry_id,
          'expire:lot:' || due.entry_id || ':' || due.remaining
        FROM due ORDER BY due.expires_at, due.entry_id
      )
      SELECT coalesce(sum(due.remaining), 0) INTO v_expired FROM due;
      SELECT coalesce(sum(remaining), 0) INTO v_available FROM points_lots
      WHERE workspace_id = p_ws AND profile_id = p_profile AND remaining > 0;
      IF NOT p_allow_debt AND v_available < p_points THEN
        RAISE EXCEPTION 'profile % has % points available, % needed', p_profile, v_available, p_points USING ERRCODE = 'LY001';
      END IF;
      v_taken := least(v_available, p_points);
      IF v_taken > 0 THEN
        UPDATE points_lots l SET remaining = l.remaining - least(o.remaining, v_taken - o.taken_before)
        FROM (
          SELECT entry_id, remaining,
            coalesce(sum(remaining) OVER (ORDER BY pref DESC, expires_at NULLS LAST, entry_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS taken_before
          FROM (SELECT entry_id, remaining, expires_at,
                  coalesce(v_prefer AND source_type = p_source_type AND source_id = p_source_id, false) AS pref
                FROM points_lots WHERE workspace_id = p_ws AND profile_id = p_profile AND remaining > 0) s
        ) o
        WHERE l.workspace_id = p_ws AND l.entry_id = o.entry_id AND o.taken_before < v_taken;
      END IF;
      INSERT INTO points_entries (workspace_id, profile_id, origin_profile_id, kind, points, debt_delta, reason, source_type, source_id, idempotency_key, created_by)
      VALUES (p_ws, p_profile, p_profile, p_kind, -v_taken, p_points - v_taken, p_reason, p_source_type, p_source_id, p_key, p_created_by)
      RETURNING id INTO r_entry_id;
      UPDATE points_accounts SET balance = balance - v_taken - v_expired, debt = debt + (p_points - v_taken), updated_at = now()
      WHERE workspace_id = p_ws AND profile_id = p_profile
      RETURNING balance, debt, pending INTO r_balance, r_debt, r_pending;
      INSERT INTO profile_changes (workspace_id, profile_id) VALUES (p_ws, p_profile)
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now();
      r_replayed := false;
      r_points := -v_taken;
      r_debt_recorded := p_points - v_taken;
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP FUNCTION IF EXISTS siyu_points_take(text, bigint, bigint, text, text, text, text, text, text, timestamptz, boolean);
    DROP FUNCTION IF EXISTS siyu_points_credit(text, bigint, bigint, text, text, text, text, text, text, timestamptz);
    DROP FUNCTION IF EXISTS siyu_points_lock(text, bigint, text);
  `.execute(db);
}
