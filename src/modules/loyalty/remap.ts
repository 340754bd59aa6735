import { sql, type Transaction } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import type { ProfileRemap } from '../../platform/hooks.js';
import { insertEntry, lockAccount } from './ledger.js';
import { consumeLots, openLots, planConsumption, refillLots } from './lots.js';
import { touchProfiles } from './changes.js';
import { followOrderGrants } from './remap-orders.js';

type Trx = Transaction<DB>;

/** Per-profile loyalty tables that follow their origin profile on merge/unmerge (members, coupons… add theirs). */
const followers = [
  'points_entries',
  'points_lots',
  'points_pending',
  'points_order_grants',
  'coupons',
  'members',
  'tier_history',
  'member_tokens',
  'checkins',
  'mall_exchanges',
] as const;

/**
 * OneID re-shaped profiles: rows move to the profile their origin now belongs to, then every account touched is
 * rebuilt from its ledger. A merge simply pools two ledgers. After an unmerge a profile may have spent points that
 * now belong to the other one: the spender's shortfall becomes debt (recorded as an entry), and lots are re-aligned.
 */
export async function remapLoyaltyRows(trx: Trx, workspaceId: string, remaps: ProfileRemap[]): Promise<void> {
  const affected = new Set<number>();
  for (const remap of remaps) {
    affected.add(remap.from);
    affected.add(remap.to);
    const holders = await sql<{ profile_id: number }>`
      SELECT DISTINCT profile_id FROM points_entries WHERE workspace_id = ${workspaceId} AND origin_profile_id = ${remap.from}
      UNION SELECT DISTINCT profile_id FROM points_pending WHERE workspace_id = ${workspaceId} AND origin_profile_id = ${remap.from}
    `.execute(trx);
    for (const row of holders.rows) affected.add(Number(row.profile_id));
    for (const table of followers) {
      await sql`UPDATE ${sql.table(table)} SET profile_id = ${remap.to}
        WHERE workspace_id = ${workspaceId} AND origin_profile_id = ${remap.from} AND profile_id <> ${remap.to}`.execute(trx);
    }
  }
  for (const id of await followOrderGrants(trx, workspaceId, [...affected].sort((a, b) => a - b))) affected.add(id);
  const ids = [...affected].sort((a, b) => a - b);
  for (const id of ids) await reconcileAccount(trx, workspaceId, id);
  await rebuildCouponHoldings(trx, workspaceId, ids);
  await touchProfiles(trx, workspaceId, ids);
}

/** Rebuilds one account from its ledger and makes its lots add up to the balance again. */
export async function reconcileAccount(trx: Trx, workspaceId: string, profileId: number, now = new Date()): Promise<void> {
  await lockAccount(trx, workspaceId, profileId);
  const sums = await sql<{ balance: number; debt: number; earned: number }>`
    SELECT coalesce(sum(points), 0)::bigint AS balance, coalesce(sum(debt_delta), 0)::bigint AS debt,
           coalesce(sum(points) FILTER (WHERE kind = 'earn'), 0)::bigint AS earned
    FROM points_entries WHERE workspace_id = ${workspaceId} AND profile_id = ${profileId}`.execute(trx);
  let { balance, debt } = sums.rows[0]!;
  const base = { profileId, sourceType: 'system' as const, sourceId: 'identity', reason: 'identity re-shape' };
  if (balance < 0) {
    // Spent points that went back to another profile: owed, like a reversal after spending.
    await insertEntry(trx, workspaceId, { ...base, kind: 'adjust', points: -balance, debtDelta: -balance });
    debt += -balance;
    balance = 0;
  }
  if (debt < 0) {
    await insertEntry(trx, workspaceId, { ...base, kind: 'adjust', points: 0, debtDelta: -debt });
    debt = 0;
  }
  let lots = (await openLots(trx, workspaceId, profileId)).reduce((sum, l) => sum + l.remaining, 0);
  if (lots < balance) lots += await refillLots(trx, workspaceId, profileId, balance - lots, now);
  if (lots < balance) {
    const short = balance - lots;
    await insertEntry(trx, workspaceId, { ...base, kind: 'adjust', points: -short, debtDelta: short });
    balance -= short;
    debt += short;
  }
  if (debt > 0 && balance > 0) {
    const repay = Math.min(debt, balance);
    await insertEntry(trx, workspaceId, { ...base, kind: 'reverse', points: -repay, debtDelta: -repay, reason: 'debt repayment' });
    balance -= repay;
    debt -= repay;
  }
  if (lots > balance) await consumeLots(trx, workspaceId, planConsumption(await openLots(trx, workspaceId, profileId), lots - balance));
  const pending = await trx
    .selectFrom('points_pending')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('points'), sql<number>`0`).as('points'))
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  await trx
    .updateTable('points_accounts')
    .set({ balance, debt, pending: Number(pending.points), lifetime_earned: Number(sums.rows[0]!.earned), updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .execute();
}

/** Per-member coupon counts follow the coupons they count. */
async function rebuildCouponHoldings(trx: Trx, workspaceId: string, profileIds: number[]): Promise<void> {
  await trx.deleteFrom('coupon_holdings').where('workspace_id', '=', workspaceId).where('profile_id', 'in', profileIds).execute();
  await sql`INSERT INTO coupon_holdings (workspace_id, template_id, profile_id, count)
    SELECT workspace_id, template_id, profile_id, count(*) FROM coupons
    WHERE workspace_id = ${workspaceId} AND profile_id IN (${sql.join(profileIds)})
    GROUP BY workspace_id, template_id, profile_id`.execute(trx);
}

/** Privacy erasure: the profile's loyalty rows go with it. */
export async function deleteLoyaltyRows(trx: Trx, workspaceId: string, profileIds: number[]): Promise<void> {
  if (profileIds.length === 0) return;
  for (const table of [...followers, 'points_accounts', 'points_rule_usage', 'coupon_holdings'] as const) {
    await sql`DELETE FROM ${sql.table(table)} WHERE workspace_id = ${workspaceId} AND profile_id IN (${sql.join(profileIds)})`.execute(trx);
  }
}
