import { sql, type Kysely } from 'kysely';

/**
 * Group commit of points operations (src/modules/loyalty/points-batch.ts): many operations in one statement and one
 * transaction. siyu_points_batch locks every account of the batch first, in profile order (two batches, or a batch
 * and an order settlement, never wait on each other in a cycle), then runs the operations one after the other in
 * the order given, through the one-operation functions of 0303, so each row is what the operation alone would write.
 *
 * A business refusal must not abort the others, and an EXCEPTION block per operation would open a subtransaction
 * each (many of them slow every snapshot on the server), so the two refusals are checked before the call instead:
 * an idempotency key stored for another profile (status 'conflict') and a spend beyond the live, unexpired balance
 * (status 'insufficient', with r_available) — the same checks the functions raise LY002 / LY001 for, made under the
 * same account lock, so the call after them cannot raise.
 *
 * p_ops: a JSON array of {op: 'credit'|'take', profile, points, kind, reason, source_type, source_id, key,
 * created_by, at (credit: expiry; take: now), allow_debt}. One result row per operation, r_ord = its 1-based position.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE FUNCTION siyu_points_batch(p_ws text, p_ops jsonb)
    RETURNS TABLE (r_ord bigint, r_status text, r_entry_id bigint, r_replayed boolean, r_points bigint, r_debt_recorded bigint,
      r_balance bigint, r_debt bigint, r_pending bigint, r_available bigint)
    LANGUAGE plpgsql AS $$
    DECLARE
      o record;
      res record;
      v_owner bigint;
    BEGIN
      INSERT INTO points_accounts AS a (workspace_id, profile_id)
      SELECT p_ws, s.p FROM (SELECT DISTINCT (e->>'profile')::bigint AS p FROM jsonb_array_elements(p_ops) e) s ORDER BY s.p
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET updated_at = now();
      FOR o IN
        SELECT t.ord, x.* FROM jsonb_array_elements(p_ops) WITH ORDINALITY AS t(e, ord),
          jsonb_to_record(t.e) AS x(op text, profile bigint, points bigint, kind text, reason text, source_type text,
            source_id text, key text, created_by text, at timestamptz, allow_debt boolean)
        ORDER BY t.ord
      LOOP
        r_ord := o.ord; r_status := 'ok'; r_available := NULL;
        r_entry_id := NULL; r_replayed := NULL; r_points := NULL; r_debt_recorded := NULL; r_balance := NULL; r_debt := NULL; r_pending := NULL;
        v_owner := NULL;
        IF o.key IS NOT NULL THEN
          SELECT pe.profile_id INTO v_owner FROM points_entries pe WHERE pe.workspace_id = p_ws AND pe.idempotency_key = o.key;
          IF v_owner IS NOT NULL AND v_owner <> o.profile THEN
            r_status := 'conflict';
            RETURN NEXT;
            CONTINUE;
          END IF;
        END IF;
        IF o.op = 'take' AND v_owner IS NULL AND NOT coalesce(o.allow_debt, false) THEN
          SELECT coalesce(sum(l.remaining), 0) INTO r_available FROM points_lots l
          WHERE l.workspace_id = p_ws AND l.profile_id = o.profile AND l.remaining > 0 AND (l.expires_at IS NULL OR l.expires_at > o.at);
          IF r_available < o.points THEN
            r_status := 'insufficient';
            RETURN NEXT;
            CONTINUE;
          END IF;
        END IF;
        IF o.op = 'credit' THEN
          SELECT * INTO res FROM siyu_points_credit(p_ws, o.profile, o.points, o.kind, o.reason, o.source_type, o.source_id, o.key, o.created_by, o.at);
        ELSE
          SELECT * INTO res FROM siyu_points_take(p_ws, o.profile, o.points, o.kind, o.reason, o.source_type, o.source_id, o.key, o.created_by, o.at,
            coalesce(o.allow_debt, false));
        END IF;
        r_entry_id := res.r_entry_id; r_replayed := res.r_replayed; r_points := res.r_points; r_debt_recorded := res.r_debt_recorded;
        r_balance := res.r_balance; r_debt := res.r_debt; r_pending := res.r_pending;
        RETURN NEXT;
      END LOOP;
    END $$;
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP FUNCTION IF EXISTS siyu_points_batch(text, jsonb)`.execute(db);
}
