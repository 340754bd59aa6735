import { sql, type Kysely } from 'kysely';

/**
 * Group commit of points operations (src/modules/loyalty/points-batch.ts): many operations in one statement and one
 * transaction. The bodies of 0303's siyu_points_credit / siyu_points_take move into cores that assume the account
 * is locked and the key looked up (…_locked), and the two functions become lock + key lookup + core + change feed,
 * with the same signatures and results. siyu_points_batch locks every account of the batch at once, in profile
 * order (two batches, or a batch and an order settlement, never wait on each other in a cycle), runs the operations
 * one after the other in the order given through the same cores, and marks each profile changed once.
 *
 * A refusal must not abort the others, and an EXCEPTION block per operation would open a subtransaction each (many
 * of them slow every snapshot on the server), so the take core checks the live, unexpired balance before it writes
 * anything and reports 'insufficient' instead of raising; the batch reports a key stored for another profile as
 * 'conflict'. siyu_points_take raises LY001 / LY002 for them, as before.
 *
 * p_ops: a JSON array of {op: 'credit'|'take', profile, points, kind, reason, source_type, source_id, key,
 * created_by, at (credit: expiry; take: now), allow_debt}. One result row per operation, r_ord = its 1-based position.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION siyu_points_credit_locked(p_ws text, p_profile bigint, p_points bigint, p_kind text, p_reason text,
      p_source_type text, p_source_id text, p_key text, p_created_by text, p_expires_at timestamptz, p_debt bigint,
      OUT r_entry_id bigint, OUT r_points bigint, OUT r_balance bigint, OUT r_debt bigint, OUT r_pending bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      v_repay bigint := least(p_debt, p_points);
    BEGIN
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
      r_points := p_points - v_repay;
    END $$;

    CREATE FUNCTION siyu_points_take_locked(p_ws text, p_profile bigint, p_points bigint, p_kind text, p_reason text,
      p_source_type text, p_source_id text, p_key text, p_created_by text, p_now timestamptz, p_allow_debt boolean,
      OUT r_insufficient boolean, OUT r_available bigint, OUT r_entry_id bigint, OUT r_points bigint, OUT r_debt_recorded bigint,
      OUT r_balance bigint, OUT r_debt bigint, OUT r_pending bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      v_expired bigint;
      v_taken bigint;
      v_prefer boolean := p_kind = 'reverse' AND p_source_id IS NOT NULL;
    BEGIN
      -- What the spend can use: unexpired points (due lots expire below, before anything is taken).
      SELECT coalesce(sum(remaining), 0) INTO r_available FROM points_lots
      WHERE workspace_id = p_ws AND profile_id = p_profile AND remaining > 0 AND (expires_at IS NULL OR expires_at > p_now);
      r_insufficient := NOT p_allow_debt AND r_available < p_points;
      IF r_insufficient THEN RETURN; END IF;
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
      v_taken := least(r_available, p_points);
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
      r_points := -v_taken;
      r_debt_recorded := p_points - v_taken;
    END $$;

    CREATE OR REPLACE FUNCTION siyu_points_credit(p_ws text, p_profile bigint, p_points bigint, p_kind text, p_reason text,
      p_source_type text, p_source_id text, p_key text, p_created_by text, p_expires_at timestamptz,
      OUT r_entry_id bigint, OUT r_replayed boolean, OUT r_points bigint, OUT r_debt_recorded bigint,
      OUT r_balance bigint, OUT r_debt bigint, OUT r_pending bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      acct record;
      res record;
    BEGIN
      SELECT * INTO acct FROM siyu_points_lock(p_ws, p_profile, p_key);
      r_balance := acct.r_balance; r_debt := acct.r_debt; r_pending := acct.r_pending; r_debt_recorded := 0;
      IF acct.r_replay_id IS NOT NULL THEN
        r_entry_id := acct.r_replay_id; r_replayed := true; r_points := acct.r_replay_points; r_debt_recorded := acct.r_replay_debt;
        RETURN;
      END IF;
      SELECT * INTO res FROM siyu_points_credit_locked(p_ws, p_profile, p_points, p_kind, p_reason, p_source_type, p_source_id, p_key, p_created_by, p_expires_at, acct.r_debt);
      INSERT INTO profile_changes (workspace_id, profile_id) VALUES (p_ws, p_profile)
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now();
      r_entry_id := res.r_entry_id; r_replayed := false; r_points := res.r_points;
      r_balance := res.r_balance; r_debt := res.r_debt; r_pending := res.r_pending;
    END $$;

    CREATE OR REPLACE FUNCTION siyu_points_take(p_ws text, p_profile bigint, p_points bigint, p_kind text, p_reason text,
      p_source_type text, p_source_id text, p_key text, p_created_by text, p_now timestamptz, p_allow_debt boolean,
      OUT r_entry_id bigint, OUT r_replayed boolean, OUT r_points bigint, OUT r_debt_recorded bigint,
      OUT r_balance bigint, OUT r_debt bigint, OUT r_pending bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      acct record;
      res record;
    BEGIN
      SELECT * INTO acct FROM siyu_points_lock(p_ws, p_profile, p_key);
      r_balance := acct.r_balance; r_debt := acct.r_debt; r_pending := acct.r_pending;
      IF acct.r_replay_id IS NOT NULL THEN
        r_entry_id := acct.r_replay_id; r_replayed := true; r_points := acct.r_replay_points; r_debt_recorded := acct.r_replay_debt;
        RETURN;
      END IF;
      SELECT * INTO res FROM siyu_points_take_locked(p_ws, p_profile, p_points, p_kind, p_reason, p_source_type, p_source_id, p_key, p_created_by, p_now, p_allow_debt);
      IF res.r_insufficient THEN
        RAISE EXCEPTION 'profile % has % points available, % needed', p_profile, res.r_available, p_points USING ERRCODE = 'LY001';
      END IF;
      INSERT INTO profile_changes (workspace_id, profile_id) VALUES (p_ws, p_profile)
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now();
      r_entry_id := res.r_entry_id; r_replayed := false; r_points := res.r_points; r_debt_recorded := res.r_debt_recorded;
      r_balance := res.r_balance; r_debt := res.r_debt; r_pending := res.r_pending;
    END $$;

    CREATE FUNCTION siyu_points_batch(p_ws text, p_ops jsonb)
    RETURNS TABLE (r_ord bigint, r_status text, r_entry_id bigint, r_replayed boolean, r_points bigint, r_debt_recorded bigint,
      r_balance bigint, r_debt bigint, r_pending bigint, r_available bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      o record;
      res record;
      v_id bigint;
      v_points bigint;
      v_debt_delta bigint;
      v_owner bigint;
      v_debt bigint;
      v_changed bigint[] := '{}';
    BEGIN
      INSERT INTO points_accounts AS a (workspace_id, profile_id)
      SELECT p_ws, s.p FROM (SELECT DISTINCT (j->>'profile')::bigint AS p FROM jsonb_array_elements(p_ops) j) s ORDER BY s.p
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET updated_at = now();
      FOR o IN
        SELECT t.ord, x.* FROM jsonb_array_elements(p_ops) WITH ORDINALITY AS t(j, ord),
          jsonb_to_record(t.j) AS x(op text, profile bigint, points bigint, kind text, reason text, source_type text,
            source_id text, key text, created_by text, at timestamptz, allow_debt boolean)
        ORDER BY t.ord
      LOOP
        r_ord := o.ord; r_status := 'ok'; r_available := NULL; r_replayed := false; r_debt_recorded := 0;
        r_entry_id := NULL; r_points := NULL; r_balance := NULL; r_debt := NULL; r_pending := NULL;
        v_id := NULL;
        IF o.key IS NOT NULL THEN
          SELECT pe.id, pe.points, pe.debt_delta, pe.profile_id INTO v_id, v_points, v_debt_delta, v_owner
          FROM points_entries pe WHERE pe.workspace_id = p_ws AND pe.idempotency_key = o.key;
        END IF;
        IF v_id IS NOT NULL THEN
          IF v_owner <> o.profile THEN
            r_status := 'conflict';
          ELSE
            r_replayed := true; r_entry_id := v_id; r_points := v_points; r_debt_recorded := greatest(0, v_debt_delta);
            SELECT a.balance, a.debt, a.pending INTO r_balance, r_debt, r_pending FROM points_accounts a WHERE a.workspace_id = p_ws AND a.profile_id = o.profile;
          END IF;
          RETURN NEXT;
          CONTINUE;
        END IF;
        IF o.op = 'credit' THEN
          SELECT a.debt INTO v_debt FROM points_accounts a WHERE a.workspace_id = p_ws AND a.profile_id = o.profile;
          SELECT * INTO res FROM siyu_points_credit_locked(p_ws, o.profile, o.points, o.kind, o.reason, o.source_type, o.source_id, o.key, o.created_by, o.at, v_debt);
        ELSE
          SELECT * INTO res FROM siyu_points_take_locked(p_ws, o.profile, o.points, o.kind, o.reason, o.source_type, o.source_id, o.key, o.created_by, o.at,
            coalesce(o.allow_debt, false));
          IF res.r_insufficient THEN
            r_status := 'insufficient'; r_available := res.r_available;
            RETURN NEXT;
            CONTINUE;
          END IF;
          r_debt_recorded := res.r_debt_recorded;
        END IF;
        r_entry_id := res.r_entry_id; r_points := res.r_points; r_balance := res.r_balance; r_debt := res.r_debt; r_pending := res.r_pending;
        v_changed := v_changed || o.profile;
        RETURN NEXT;
      END LOOP;
      INSERT INTO profile_changes (workspace_id, profile_id)
      SELECT p_ws, c.p FROM (SELECT DISTINCT p FROM unnest(v_changed) p) c ORDER BY c.p
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now();
    END $$;
  `.execute(db);
}

/** Back to 0303's functions (its bodies, re-created by running its up after dropping them). */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP FUNCTION IF EXISTS siyu_points_batch(text, jsonb);
    DROP FUNCTION IF EXISTS siyu_points_take(text, bigint, bigint, text, text, text, text, text, text, timestamptz, boolean);
    DROP FUNCTION IF EXISTS siyu_points_credit(text, bigint, bigint, text, text, text, text, text, text, timestamptz);
    DROP FUNCTION IF EXISTS siyu_points_lock(text, bigint, text);
    DROP FUNCTION IF EXISTS siyu_points_take_locked(text, bigint, bigint, text, text, text, text, text, text, timestamptz, boolean);
    DROP FUNCTION IF EXISTS siyu_points_credit_locked(text, bigint, bigint, text, text, text, text, text, text, timestamptz, bigint);
  `.execute(db);
  const { up: restore0303 } = await import('./0303_points_functions.js');
  await restore0303(db);
}
