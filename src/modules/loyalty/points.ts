import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { invalid } from '../../platform/errors.js';
import { credit, debit, expireLots, lockAccount, reverse, updateAccount, type LedgerResult } from './ledger.js';
import { isExpired, openLots } from './lots.js';
import { touchProfiles } from './changes.js';
import { applyTierChange } from './members.js';
import { expiryFor, getLoyaltySettings } from './settings.js';
import type { SourceType } from './schema.js';

/** Public points operations: each one statement (its own transaction, one round trip), replay-safe with an idempotency key. */
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

/**
 * The ledger functions look the key up after taking the account lock, so a replay waits for its original and finds
 * it; should a replay still lose on the key's unique index (another account's operation using the key), running
 * again finds the original.
 */
async function retryingReplayRace<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    const e = err as { code?: string; constraint?: string };
    if (e.code === '23505' && e.constraint === 'points_entries_key') return fn();
    throw err;
  }
}

function checkPoints(points: number, allowNegative = false): void {
  if (!Number.isSafeInteger(points) || points === 0 || (!allowNegative && points < 0)) {
    throw invalid(`points must be a ${allowNegative ? 'non-zero' : 'positive'} integer`, [{ path: 'points', message: 'invalid' }]);
  }
}

export async function earnPoints(db: Db, workspaceId: string, req: PointsRequest): Promise<LedgerResult> {
  checkPoints(req.points);
  const settings = await getLoyaltySettings(db, workspaceId);
  const expiresAt = req.expiresAt ?? expiryFor(settings, new Date());
  const result = await retryingReplayRace(() => credit(db, workspaceId, { ...req, sourceType: req.sourceType ?? 'operator', kind: 'earn', expiresAt }));
  if (!result.replayed && settings.tiers.basis === 'points') await applyTierChange(db, workspaceId, req.profileId);
  return result;
}

export async function redeemPoints(db: Db, workspaceId: string, req: PointsRequest): Promise<LedgerResult> {
  checkPoints(req.points);
  return retryingReplayRace(() => debit(db, workspaceId, { ...req, sourceType: req.sourceType ?? 'operator', kind: 'redeem' }));
}

/** An operator's correction: positive credits a lot, negative spends (refused beyond the balance). */
export async function adjustPoints(db: Db, workspaceId: string, req: PointsRequest): Promise<LedgerResult> {
  checkPoints(req.points, true);
  const settings = await getLoyaltySettings(db, workspaceId);
  const op = { ...req, sourceType: req.sourceType ?? 'operator', kind: 'adjust' as const };
  return retryingReplayRace(() =>
    req.points > 0
      ? credit(db, workspaceId, { ...op, expiresAt: req.expiresAt ?? expiryFor(settings, new Date()) })
      : debit(db, workspaceId, { ...op, points: -req.points }),
  );
}

/** Takes back points of a source (refund); what was spent already becomes debt. */
export async function reversePoints(db: Db, workspaceId: string, req: PointsRequest): Promise<LedgerResult> {
  checkPoints(req.points);
  return retryingReplayRace(() => reverse(db, workspaceId, { ...req, sourceType: req.sourceType ?? 'operator' }));
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
