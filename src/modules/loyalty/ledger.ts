import { sql, type Transaction } from 'kysely';
import type { DB, PointsEntryKind } from '../../platform/db/schema.js';
import { AppError } from '../../platform/errors.js';
import { touchProfiles } from './changes.js';
import { consumeLots, isExpired, openLots, planConsumption, type OpenLot } from './lots.js';
import type { SourceType } from './schema.js';

type Trx = Transaction<DB>;

/**
 * The points ledger. Every writer locks the profile's account row first, so writes to one profile serialise and
 * a balance check cannot race a concurrent spend; different profiles proceed in parallel. In each operation the
 * entries, the lots and the cached sums on the account change together, in the caller's transaction.
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

/** The earlier result of a replayed request, or null. Runs after the lock, so a racing replay sees the first one. */
async function replayOf(trx: Trx, workspaceId: string, op: LedgerOp, account: Account): Promise<LedgerResult | null> {
  if (!op.idempotencyKey) return null;
  const row = await trx
    .selectFrom('points_entries')
    .select(['id', 'points', 'debt_delta', 'profile_id'])
    .where('workspace_id', '=', workspaceId)
    .where('idempotency_key', '=', op.idempotencyKey)
    .executeTakeFirst();
  if (!row) return null;
  if (row.profile_id !== op.profileId) throw new AppError('conflict', `idempotency key ${op.idempotencyKey} was used for another profile`);
  return { entryId: row.id, replayed: true, points: row.points, debtRecorded: Math.max(0, row.debt_delta), ...account };
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
  trx: Trx,
  workspaceId: string,
  op: LedgerOp & { kind: 'earn' | 'adjust' | 'reverse'; expiresAt: Date | null },
): Promise<LedgerResult> {
  const account = await lockAccount(trx, workspaceId, op.profileId);
  const replay = await replayOf(trx, workspaceId, op, account);
  if (replay) return replay;
  const entryId = await insertEntry(trx, workspaceId, { ...op, points: op.points });
  const repay = Math.min(account.debt, op.points);
  await trx
    .insertInto('points_lots')
    .values({
      workspace_id: workspaceId,
      entry_id: entryId,
      profile_id: op.profileId,
      origin_profile_id: op.profileId,
      points: op.points,
      remaining: op.points - repay,
      source_type: op.sourceType,
      source_id: op.sourceId ?? null,
      expires_at: op.expiresAt,
    })
    .execute();
  if (repay > 0) {
    await insertEntry(trx, workspaceId, {
      profileId: op.profileId,
      kind: 'reverse',
      points: -repay,
      debtDelta: -repay,
      reason: 'debt repayment',
      sourceType: 'system',
      sourceId: `entry:${entryId}`,
      idempotencyKey: op.idempotencyKey ? `${op.idempotencyKey}#debt` : null,
    });
  }
  const after = await updateAccount(trx, workspaceId, op.profileId, {
    balance: op.points - repay,
    debt: -repay,
    earned: op.kind === 'earn' ? op.points : 0,
  });
  await touchProfiles(trx, workspaceId, [op.profileId]);
  return { entryId, replayed: false, points: op.points - repay, debtRecorded: 0, ...after };
}

/** Spends points (redeem, negative adjust): refused when the live balance cannot pay. */
export async function debit(trx: Trx, workspaceId: string, op: LedgerOp & { kind: 'redeem' | 'adjust' }, now = new Date()): Promise<LedgerResult> {
  return take(trx, workspaceId, op, now, { allowDebt: false });
}

/**
 * Takes points back (refund of what an order earned): from the source's own lot first, then FIFO; what cannot be
 * taken because it was already spent is recorded as debt, paid first by future credits.
 */
export async function reverse(trx: Trx, workspaceId: string, op: LedgerOp, now = new Date()): Promise<LedgerResult> {
  return take(trx, workspaceId, { ...op, kind: 'reverse' }, now, { allowDebt: true });
}

async function take(
  trx: Trx,
  workspaceId: string,
  op: LedgerOp & { kind: 'redeem' | 'adjust' | 'reverse' },
  now: Date,
  opts: { allowDebt: boolean },
): Promise<LedgerResult> {
  const account = await lockAccount(trx, workspaceId, op.profileId);
  const replay = await replayOf(trx, workspaceId, op, account);
  if (replay) return replay;
  const lots = await openLots(trx, workspaceId, op.profileId);
  const expired = await expireLots(trx, workspaceId, op.profileId, lots.filter((l) => isExpired(l, now)));
  const live = lots.filter((l) => !isExpired(l, now));
  const available = live.reduce((sum, l) => sum + l.remaining, 0);
  if (!opts.allowDebt && available < op.points) {
    throw new AppError('insufficient_points', `profile ${op.profileId} has ${available} points available, ${op.points} needed`);
  }
  const taken = Math.min(available, op.points);
  const debt = op.points - taken;
  const prefer = op.kind === 'reverse' && op.sourceId ? { sourceType: op.sourceType, sourceId: op.sourceId } : undefined;
  await consumeLots(trx, workspaceId, planConsumption(live, taken, prefer));
  const entryId = await insertEntry(trx, workspaceId, { ...op, points: -taken, debtDelta: debt });
  const after = await updateAccount(trx, workspaceId, op.profileId, { balance: -taken - expired, debt });
  await touchProfiles(trx, workspaceId, [op.profileId]);
  return { entryId, replayed: false, points: -taken, debtRecorded: debt, ...after };
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
