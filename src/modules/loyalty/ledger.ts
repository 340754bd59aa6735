import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import type { DB, PointsEntryKind } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { consumeLots, type OpenLot } from './lots.js';
import type { SourceType } from './schema.js';

type Trx = Transaction<DB>;
type Conn = Kysely<DB> | Transaction<DB>;

/**
 * The points ledger. Every writer locks the profile's account row first, so writes to one profile serialise and
 * a balance check cannot race a concurrent spend; different profiles proceed in parallel. In each operation the
 * entries, the lots and the cached sums on the account change together: credit / debit / reverse are one statement
 * (server-side functions, migration 0303), on their own or in the caller's transaction.
 */
export interface LedgerOp {
  profileId: number;
  /** Magnitude, > 0. */
  points: number;
  reason: string;
  sourceType: SourceType;
  sourceId?: string | null;
  idempotencyKey?: string | null;
  createdBy?: string | null;
}

export interface LedgerResult {
  entryId: number | null;
  replayed: boolean;
  /** Change of the balance this operation made. */
  points: number;
  debtRecorded: number;
  balance: number;
  debt: number;
  pending: number;
}

interface Account {
  balance: number;
  debt: number;
  pending: number;
}

export async function lockAccount(trx: Trx, workspaceId: string, profileId: number): Promise<Account> {
  return trx
    .insertInto('points_accounts')
    .values({ workspace_id: workspaceId, profile_id: profileId })
    .onConflict((oc) => oc.columns(['workspace_id', 'profile_id']).doUpdateSet({ updated_at: sql`now()` }))
    .returning(['balance', 'debt', 'pending'])
    .executeTakeFirstOrThrow();
}

export async function updateAccount(
  trx: Trx,
  workspaceId: string,
  profileId: number,
  delta: { balance?: number; debt?: number; pending?: number; earned?: number },
): Promise<Account> {
  return trx
    .updateTable('points_accounts')
    .set({
      balance: sql`balance + ${delta.balance ?? 0}`,
      debt: sql`debt + ${delta.debt ?? 0}`,
      pending: sql`pending + ${delta.pending ?? 0}`,
      lifetime_earned: sql`lifetime_earned + ${delta.earned ?? 0}`,
    } as never)
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .returning(['balance', 'debt', 'pending'])
    .executeTakeFirstOrThrow();
}

export async function insertEntry(
  trx: Trx,
  workspaceId: string,
  op: Omit<LedgerOp, 'points'> & { kind: PointsEntryKind; points: number; debtDelta?: number },
): Promise<number> {
  const row = await trx
    .insertInto('points_entries')
    .values({
      workspace_id: workspaceId,
      profile_id: op.profileId,
      origin_profile_id: op.profileId,
      kind: op.kind,
      points: op.points,
      debt_delta: op.debtDelta ?? 0,
      reason: op.reason,
      source_type: op.sourceType,
      source_id: op.sourceId ?? null,
      idempotency_key: op.idempotencyKey ?? null,
      created_by: op.createdBy ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Adds points (earn, positive adjust, returned points). Outstanding debt is paid first. */
export async function credit(
  conn: Conn,
  workspaceId: string,
  op: LedgerOp & { kind: 'earn' | 'adjust' | 'reverse'; expiresAt: Date | null },
): Promise<LedgerResult> {
  return ledgerCall(conn, sql<LedgerRow>`SELECT * FROM siyu_points_credit(${workspaceId}, ${op.profileId}, ${op.points}, ${op.kind}, ${op.reason},
    ${op.sourceType}, ${op.sourceId ?? null}, ${op.idempotencyKey ?? null}, ${op.createdBy ?? null}, ${op.expiresAt}::timestamptz)`);
}

/** Spends points (redeem, negative adjust): refused when the live balance cannot pay. */
export async function debit(conn: Conn, workspaceId: string, op: LedgerOp & { kind: 'redeem' | 'adjust' }, now = new Date()): Promise<LedgerResult> {
  return take(conn, workspaceId, op, now, { allowDebt: false });
}

/**
 * Takes points back (refund of what an order earned): from the source's own lot first, then FIFO; what cannot be
 * taken because it was already spent is recorded as debt, paid first by future credits.
 */
export async function reverse(conn: Conn, workspaceId: string, op: LedgerOp, now = new Date()): Promise<LedgerResult> {
  return take(conn, workspaceId, { ...op, kind: 'reverse' }, now, { allowDebt: true });
}

/** Due lots expire first (a spend never uses expired points), then lots are consumed (see planConsumption). */
async function take(conn: Conn, workspaceId: string, op: LedgerOp & { kind: 'redeem' | 'adjust' | 'reverse' }, now: Date, opts: { allowDebt: boolean }): Promise<LedgerResult> {
  return ledgerCall(conn, sql<LedgerRow>`SELECT * FROM siyu_points_take(${workspaceId}, ${op.profileId}, ${op.points}, ${op.kind}, ${op.reason},
    ${op.sourceType}, ${op.sourceId ?? null}, ${op.idempotencyKey ?? null}, ${op.createdBy ?? null}, ${now}::timestamptz, ${opts.allowDebt})`);
}

interface LedgerRow {
  r_entry_id: number;
  r_replayed: boolean;
  r_points: number;
  r_debt_recorded: number;
  r_balance: number;
  r_debt: number;
  r_pending: number;
}

/**
 * One points operation is one statement: the functions of migration 0303 lock the account, look up the key, write
 * the entries, lots and sums and mark the profile changed. Called on a connection it is its own transaction (one
 * round trip); in a caller's transaction it joins it.
 */
async function ledgerCall(conn: Conn, query: RawBuilder<LedgerRow>): Promise<LedgerResult> {
  try {
    const row = (await query.execute(conn)).rows[0]!;
    return {
      entryId: Number(row.r_entry_id),
      replayed: row.r_replayed,
      points: Number(row.r_points),
      debtRecorded: Number(row.r_debt_recorded),
      balance: Number(row.r_balance),
      debt: Number(row.r_debt),
      pending: Number(row.r_pending),
    };
  } catch (err) {
    const e = err as { code?: string; message?: string };
    if (e.code === 'LY001') throw new AppError('insufficient_points', e.message ?? 'not enough points');
    if (e.code === 'LY002') throw new AppError('conflict', e.message ?? 'idempotency key used for another profile');
    throw err;
  }
}

/** Writes one expire entry per lot and empties the lots. The caller holds the account lock and updates the sums. */
export async function expireLots(trx: Trx, workspaceId: string, profileId: number, lots: OpenLot[]): Promise<number> {
  if (lots.length === 0) return 0;
  await trx
    .insertInto('points_entries')
    .values(
      lots.map((lot) => ({
        workspace_id: workspaceId,
        profile_id: profileId,
        origin_profile_id: profileId,
        kind: 'expire' as const,
        points: -lot.remaining,
        reason: 'points expired',
        source_type: 'system',
        source_id: `lot:${lot.entryId}`,
        idempotency_key: `expire:lot:${lot.entryId}:${lot.remaining}`,
      })),
    )
    .execute();
  await consumeLots(trx, workspaceId, lots.map((l) => ({ entryId: l.entryId, take: l.remaining })));
  return lots.reduce((sum, l) => sum + l.remaining, 0);
}
