import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import type { BatchLedger } from './batch-ledger.js';

type Trx = Transaction<DB>;

export interface GrantRow {
  orderId: string;
  profileId: number;
  rate: number;
  eligibleAmount: number;
  grantedPoints: number;
  /** Steps up (or moves to another customer) so far: part of their idempotency keys (order-plan.ts). */
  revision: number;
  /** The order's amounts and lines this grant was settled from (order-plan.ts basisOf). */
  basis: string | null;
}

const json = (rows: unknown[]) => sql`${JSON.stringify(rows)}::jsonb`;

/**
 * Writes what a BatchLedger played, in the caller's transaction (which holds the accounts' locks): entry ids drawn
 * from the entries' sequence (one statement), entries, new lots, taken lots, new and shrunk pending points, the
 * orders' grants, then every account's sums with the change feed for the rules tier. One statement each, skipped
 * when empty.
 */
export async function writeBatch(trx: Trx, ws: string, ledger: BatchLedger, grants: GrantRow[], now: Date): Promise<void> {
  const ids = new Map<number, number>();
  if (ledger.entries.length) {
    const { rows } = await sql<{ id: number }>`
      SELECT nextval(pg_get_serial_sequence('points_entries', 'id'))::bigint AS id FROM generate_series(1, ${ledger.entries.length}::int)`.execute(trx);
    ledger.entries.forEach((e, i) => ids.set(e.id, Number(rows[i]!.id)));
  }
  const real = (id: number) => (id > 0 ? id : ids.get(id)!);
  const fill = (s: string | null, ref: number | undefined) => (s === null || ref === undefined ? s : s.replace('{ref}', String(real(ref))));

  if (ledger.entries.length) {
    const rows = ledger.entries.map((e) => ({
      id: real(e.id), profile_id: e.profileId, kind: e.kind, points: e.points, debt_delta: e.debtDelta, reason: e.reason,
      source_type: e.sourceType, source_id: fill(e.sourceId, e.ref), key: fill(e.key, e.ref),
    }));
    await sql`
      INSERT INTO points_entries (workspace_id, id, profile_id, origin_profile_id, kind, points, debt_delta, reason, source_type, source_id, idempotency_key)
      OVERRIDING SYSTEM VALUE
      SELECT ${ws}, r.id, r.profile_id, r.profile_id, r.kind, r.points, r.debt_delta, r.reason, r.source_type, r.source_id, r.key
      FROM jsonb_to_recordset(${json(rows)}) AS r(id bigint, profile_id bigint, kind text, points bigint, debt_delta bigint, reason text,
        source_type text, source_id text, key text)
      ORDER BY r.id`.execute(trx);
  }
  if (ledger.newLots.length) {
    const rows = ledger.newLots.map((l) => ({
      entry_id: real(l.entryId), profile_id: l.profileId, points: l.points, remaining: l.remaining,
      source_type: l.sourceType, source_id: l.sourceId, expires_at: l.expiresAt?.toISOString() ?? null,
    }));
    await sql`
      INSERT INTO points_lots (workspace_id, entry_id, profile_id, origin_profile_id, points, remaining, source_type, source_id, expires_at)
      SELECT ${ws}, r.entry_id, r.profile_id, r.profile_id, r.points, r.remaining, r.source_type, r.source_id, r.expires_at
      FROM jsonb_to_recordset(${json(rows)}) AS r(entry_id bigint, profile_id bigint, points bigint, remaining bigint, source_type text,
        source_id text, expires_at timestamptz)`.execute(trx);
  }
  if (ledger.lotTakes.size) {
    const rows = [...ledger.lotTakes].map(([entryId, take]) => ({ entry_id: entryId, take }));
    await sql`
      UPDATE points_lots AS l SET remaining = l.remaining - v.take
      FROM jsonb_to_recordset(${json(rows)}) AS v(entry_id bigint, take bigint)
      WHERE l.workspace_id = ${ws} AND l.entry_id = v.entry_id AND l.entry_id = ANY(${rows.map((r) => r.entry_id)}::bigint[])`.execute(trx);
  }
  if (ledger.newPending.length) {
    const rows = ledger.newPending.map((p) => ({
      profile_id: p.profileId, points: p.points, status: p.status, reason: p.reason, source_type: p.sourceType, source_id: p.sourceId,
      key: p.key, available_at: p.availableAt?.toISOString(),
    }));
    await sql`
      INSERT INTO points_pending (workspace_id, profile_id, origin_profile_id, points, status, reason, source_type, source_id, idempotency_key, available_at)
      SELECT ${ws}, r.profile_id, r.profile_id, r.points, r.status, r.reason, r.source_type, r.source_id, r.key, r.available_at
      FROM jsonb_to_recordset(${json(rows)}) AS r(profile_id bigint, points bigint, status text, reason text, source_type text, source_id text,
        key text, available_at timestamptz)`.execute(trx);
  }
  if (ledger.pendingChanges.size) {
    const rows = [...ledger.pendingChanges.values()].map((p) => ({ id: p.id, points: p.points, status: p.status }));
    await sql`
      UPDATE points_pending AS p SET points = v.points, status = v.status
      FROM jsonb_to_recordset(${json(rows)}) AS v(id bigint, points bigint, status text)
      WHERE p.workspace_id = ${ws} AND p.id = v.id AND p.id = ANY(${rows.map((r) => r.id)}::bigint[])`.execute(trx);
  }
  if (grants.length) {
    const rows = grants.map((g) => ({
      order_id: g.orderId, profile_id: g.profileId, rate: g.rate, eligible_amount: g.eligibleAmount, granted_points: g.grantedPoints, revision: g.revision, basis: g.basis,
    }));
    // An order that changed hands now originates with its new customer (for later merges and unmerges).
    await sql`
      INSERT INTO points_order_grants AS g (workspace_id, order_id, profile_id, origin_profile_id, rate, eligible_amount, granted_points, revision, basis, updated_at)
      SELECT ${ws}, r.order_id, r.profile_id, r.profile_id, r.rate, r.eligible_amount, r.granted_points, r.revision, r.basis, ${now}
      FROM jsonb_to_recordset(${json(rows)}) AS r(order_id text, profile_id bigint, rate numeric, eligible_amount numeric, granted_points bigint, revision int, basis text)
      ON CONFLICT (workspace_id, order_id) DO UPDATE SET granted_points = EXCLUDED.granted_points, rate = EXCLUDED.rate, eligible_amount = EXCLUDED.eligible_amount,
        revision = EXCLUDED.revision, basis = EXCLUDED.basis, updated_at = EXCLUDED.updated_at, profile_id = EXCLUDED.profile_id,
        origin_profile_id = CASE WHEN g.profile_id = EXCLUDED.profile_id THEN g.origin_profile_id ELSE EXCLUDED.profile_id END`.execute(trx);
  }
  const deltas = ledger.accountDeltas().sort((a, b) => a.profileId - b.profileId);
  if (deltas.length) {
    const profiles = deltas.map((d) => d.profileId);
    await sql`
      WITH a AS (
        UPDATE points_accounts AS a SET balance = a.balance + v.balance, debt = a.debt + v.debt, pending = a.pending + v.pending,
          lifetime_earned = a.lifetime_earned + v.earned, updated_at = now()
        FROM jsonb_to_recordset(${json(deltas.map((d) => ({ profile_id: d.profileId, balance: d.balance, debt: d.debt, pending: d.pending, earned: d.earned })))})
          AS v(profile_id bigint, balance bigint, debt bigint, pending bigint, earned bigint)
        WHERE a.workspace_id = ${ws} AND a.profile_id = v.profile_id AND a.profile_id = ANY(${profiles}::bigint[])
      )
      INSERT INTO profile_changes (workspace_id, profile_id)
      SELECT ${ws}, p FROM unnest(${profiles}::bigint[]) AS p ORDER BY p
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now()`.execute(trx);
  }
}
