import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { invalid } from '../../platform/errors.js';
import { expireLots, lockAccount, updateAccount, type LedgerResult } from './ledger.js';
import { isExpired, openLots } from './lots.js';
import { touchProfiles } from './changes.js';
import { submitPointsOp } from './points-batch.js';
import { getLoyaltySettings } from './settings.js';
import type { SourceType } from './schema.js';

/**
 * Public points operations, replay-safe with an idempotency key. Concurrent ones are group-committed
 * (points-batch.ts): each resolves after the commit of the transaction that applied it.
 */
export interface PointsRequest {
  profileId: number;
  points: number;
  reason: string;
  sourceType?: SourceType;
  sourceId?: string | null;
  idempotencyKey?: string | null;
  expiresAt?: Date | null;
  createdBy?: string | null;
}

function checkPoints(points: number, allowNegative = false): void {
  if (!Number.isSafeInteger(points) || points === 0 || (!allowNegative && points < 0)) {
    throw invalid(`points must be a ${allowNegative ? 'non-zero' : 'positive'} integer`, [{ path: 'points', message: 'invalid' }]);
  }
}

const fields = (req: PointsRequest) => ({
  profileId: req.profileId,
  points: req.points,
  reason: req.reason,
  sourceType: req.sourceType ?? 'operator',
  sourceId: req.sourceId,
  idempotencyKey: req.idempotencyKey,
  createdBy: req.createdBy,
});

/** Operations are queued at the call (no await before it), so concurrent calls apply in the order they were made. */
export async function earnPoints(db: Db, workspaceId: string, req: PointsRequest): Promise<LedgerResult> {
  checkPoints(req.points);
  return submitPointsOp(db, workspaceId, { ...fields(req), op: 'credit', kind: 'earn', expiresAt: req.expiresAt ?? undefined, retier: true });
}

export async function redeemPoints(db: Db, workspaceId: string, req: PointsRequest): Promise<LedgerResult> {
  checkPoints(req.points);
  return submitPointsOp(db, workspaceId, { ...fields(req), op: 'take', kind: 'redeem', now: new Date(), allowDebt: false });
}

/**
 * An operator's correction: positive credits a lot, negative spends (refused beyond the balance). Adjustments count
 * towards a points-based tier (tiers.ts), so a positive one upgrades at once, as an earn does.
 */
export async function adjustPoints(db: Db, workspaceId: string, req: PointsRequest): Promise<LedgerResult> {
  checkPoints(req.points, true);
  if (req.points > 0) return submitPointsOp(db, workspaceId, { ...fields(req), op: 'credit', kind: 'adjust', expiresAt: req.expiresAt ?? undefined, retier: true });
  return submitPointsOp(db, workspaceId, { ...fields(req), points: -req.points, op: 'take', kind: 'adjust', now: new Date(), allowDebt: false });
}

/** Takes back points of a source (refund); what was spent already becomes debt. */
export async function reversePoints(db: Db, workspaceId: string, req: PointsRequest): Promise<LedgerResult> {
  checkPoints(req.points);
  return submitPointsOp(db, workspaceId, { ...fields(req), op: 'take', kind: 'reverse', now: new Date(), allowDebt: true });
}

export interface PointsAccount {
  profileId: number;
  balance: number;
  debt: number;
  pending: number;
  lifetimeEarned: number;
  /** Points that expire within the notice period, with the soonest date. */
  expiringSoon: { points: number; firstExpiresAt: Date | null };
}

export async function getPointsAccount(db: Db, workspaceId: string, profileId: number): Promise<PointsAccount> {
  const settings = await getLoyaltySettings(db, workspaceId);
  const account = await db
    .selectFrom('points_accounts')
    .select(['balance', 'debt', 'pending', 'lifetime_earned'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .executeTakeFirst();
  const horizon = new Date(Date.now() + settings.expiry.notifyDaysBefore * 86_400_000);
  const expiring = await db
    .selectFrom('points_lots')
    .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('remaining'), sql<number>`0`).as('points'), eb.fn.min('expires_at').as('first')])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .where('remaining', '>', 0)
    .where('expires_at', '<=', horizon)
    .executeTakeFirst();
  return {
    profileId,
    balance: account?.balance ?? 0,
    debt: account?.debt ?? 0,
    pending: account?.pending ?? 0,
    lifetimeEarned: account?.lifetime_earned ?? 0,
    expiringSoon: { points: Number(expiring?.points ?? 0), firstExpiresAt: (expiring?.first as Date | null) ?? null },
  };
}

export async function listPointsEntries(db: Db, workspaceId: string, profileId: number, opts: { limit?: number; beforeId?: number } = {}) {
  let q = db
    .selectFrom('points_entries')
    .select(['id', 'kind', 'points', 'debt_delta', 'reason', 'source_type', 'source_id', 'created_at'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId);
  if (opts.beforeId) q = q.where('id', '<', opts.beforeId);
  const rows = await q.orderBy('id', 'desc').limit(opts.limit ?? 50).execute();
  return rows.map((r) => ({
    id: r.id,
    kind: r.kind,
    points: r.points,
    debtDelta: r.debt_delta,
    reason: r.reason,
    sourceType: r.source_type,
    sourceId: r.source_id,
    createdAt: r.created_at,
  }));
}

/** The expiry job: empties every lot whose date has passed, one profile per transaction. Returns points expired. */
export async function expireDuePoints(db: Db, workspaceId: string, now = new Date()): Promise<{ profiles: number; points: number }> {
  let profiles = 0;
  let points = 0;
  for (;;) {
    const due = await db
      .selectFrom('points_lots')
      .select('profile_id')
      .distinct()
      .where('workspace_id', '=', workspaceId)
      .where('remaining', '>', 0)
      .where('expires_at', '<=', now)
      .limit(500)
      .execute();
    if (due.length === 0) return { profiles, points };
    const before = points;
    for (const { profile_id: profileId } of due) {
      points += await db.transaction().execute(async (trx) => {
        await lockAccount(trx, workspaceId, profileId);
        const lots = (await openLots(trx, workspaceId, profileId)).filter((l) => isExpired(l, now));
        const expired = await expireLots(trx, workspaceId, profileId, lots);
        if (expired > 0) {
          await updateAccount(trx, workspaceId, profileId, { balance: -expired });
          await touchProfiles(trx, workspaceId, [profileId]);
        }
        return expired;
      });
      profiles += 1;
    }
    if (points === before) return { profiles, points }; // nothing left that this pass could expire
  }
}

/** Profiles whose points expire within `days` (for a journey's "your points expire soon" reminder). */
export async function profilesWithPointsExpiring(db: Db, workspaceId: string, days: number, now = new Date()) {
  const rows = await db
    .selectFrom('points_lots')
    .select((eb) => ['profile_id', eb.fn.sum<number>('remaining').as('points'), eb.fn.min('expires_at').as('first_expires_at')])
    .where('workspace_id', '=', workspaceId)
    .where('remaining', '>', 0)
    .where('expires_at', '>', now)
    .where('expires_at', '<=', new Date(now.getTime() + days * 86_400_000))
    .groupBy('profile_id')
    .execute();
  return rows.map((r) => ({ profileId: r.profile_id, points: Number(r.points), firstExpiresAt: r.first_expires_at as Date }));
}
