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

/** Moves the cached sums and marks the profile changed (for the rules tier) in one statement. */
async function updateAccountAndTouch(trx: Trx, workspaceId: string, profileId: number, delta: { balance?: number; debt?: number; earned?: number }): Promise<Account> {
  const { rows } = await sql<Account>`
    WITH a AS (
      UPDATE points_accounts SET balance = balance + ${delta.balance ?? 0}, debt = debt + ${delta.debt ?? 0},
        lifetime_earned = lifetime_earned + ${delta.earned ?? 0}, updated_at = now()
      WHERE workspace_id = ${workspaceId} AND profile_id = ${profileId}
      RETURNING balance, debt, pending
    ), t AS (
      INSERT INTO profile_changes (workspace_id, profile_id) VALUES (${workspaceId}, ${profileId})
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now()
    )
    SELECT balance, debt, pending FROM a`.execute(trx);
  const row = rows[0]!;
  return { balance: Number(row.balance), debt: Number(row.debt), pending: Number(row.pending) };
}

/**
 * Locks the account (creating it) and looks up an earlier entry with the idempotency key, in one round trip. If a
 * racing replay commits while this statement waits for the lock, the look-up may miss it; the unique index on the
 * key then refuses the second insert and the public operation retries once (see points.ts), finding the replay.
 */
async function lockAndFindReplay(trx: Trx, workspaceId: string, op: LedgerOp): Promise<{ account: Account; replay: LedgerResult | null }> {
  const { rows } = await sql<Account & { replay_id: number | null; replay_points: number | null; replay_debt: number | null; replay_profile: number | null }>`
    WITH acct AS (
      INSERT INTO points_accounts (workspace_id, profile_id) VALUES (${workspaceId}, ${op.profileId})
      ON CONFLICT (workspace_id, profile_id) DO UPDATE SET updated_at = now()
      RETURNING balance, debt, pending
    )
    SELECT acct.balance, acct.debt, acct.pending, e.id AS replay_id, e.points AS replay_points, e.debt_delta AS replay_debt, e.profile_id AS replay_profile
    FROM acct LEFT JOIN points_entries e ON e.workspace_id = ${workspaceId} AND e.idempotency_key = ${op.idempotencyKey ?? null}`.execute(trx);
  const row = rows[0]!;
  const account = { balance: Number(row.balance), debt: Number(row.debt), pending: Number(row.pending) };
  if (row.replay_id == null) return { account, replay: null };
  if (Number(row.replay_profile) !== op.profileId) throw new AppError('conflict', `idempotency key ${op.idempotencyKey} was used for another profile`);
  return { account, replay: { entryId: Number(row.replay_id), replayed: true, points: Number(row.replay_points), debtRecorded: Math.max(0, Number(row.replay_debt)), ...account } };
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
  const { account, replay } = await lockAndFindReplay(trx, workspaceId, op);
  if (replay) return replay;
  const repay = Math.min(account.debt, op.points);
  // The entry and its lot in one statement.
  const { rows } = await sql<{ entry_id: number }>`
    WITH e AS (
      INSERT INTO points_entries (workspace_id, profile_id, origin_profile_id, kind, points, reason, source_type, source_id, idempotency_key, created_by)
      VALUES (${workspaceId}, ${op.profileId}, ${op.profileId}, ${op.kind}, ${op.points}, ${op.reason}, ${op.sourceType}, ${op.sourceId ?? null}, ${op.idempotencyKey ?? null}, ${op.createdBy ?? null})
      RETURNING id
    )
    INSERT INTO points_lots (workspace_id, entry_id, profile_id, origin_profile_id, points, remaining, source_type, source_id, expires_at)
    SELECT ${workspaceId}, e.id, ${op.profileId}, ${op.profileId}, ${op.points}, ${op.points - repay}, ${op.sourceType}, ${op.sourceId ?? null}, ${op.expiresAt}
    FROM e RETURNING entry_id`.execute(trx);
  const entryId = Number(rows[0]!.entry_id);
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
  const after = await updateAccountAndTouch(trx, workspaceId, op.profileId, {
    balance: op.points - repay,
    debt: -repay,
    earned: op.kind === 'earn' ? op.points : 0,
  });
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
  const { replay } = await lockAndFindReplay(trx, workspaceId, op);
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
  const after = await updateAccountAndTouch(trx, workspaceId, op.profileId, { balance: -taken - expired, debt });
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
