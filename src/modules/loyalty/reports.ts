import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { invalid } from '../../platform/errors.js';
import { getLoyaltySettings } from './settings.js';
import { getWorkspace } from '../workspaces/index.js';

/** Outstanding points and what they are worth: the liability on the brand's books. */
export async function pointsLiability(db: Db, workspaceId: string, now = new Date()) {
  const settings = await getLoyaltySettings(db, workspaceId);
  const { rows } = await sql<{ balance: number; debt: number; pending: number; holders: number }>`
    SELECT coalesce(sum(balance), 0)::bigint AS balance, coalesce(sum(debt), 0)::bigint AS debt,
           coalesce(sum(pending), 0)::bigint AS pending, count(*) FILTER (WHERE balance > 0)::int AS holders
    FROM points_accounts WHERE workspace_id = ${workspaceId}`.execute(db);
  const horizon = new Date(now.getTime() + settings.expiry.notifyDaysBefore * 86_400_000);
  const expiring = await sql<{ points: number }>`SELECT coalesce(sum(remaining), 0)::bigint AS points FROM points_lots
    WHERE workspace_id = ${workspaceId} AND remaining > 0 AND expires_at > ${now} AND expires_at <= ${horizon}`.execute(db);
  const r = rows[0]!;
  const round2 = (n: number) => Math.round(n * 100) / 100;
  return {
    outstandingPoints: Number(r.balance),
    pendingPoints: Number(r.pending),
    debtPoints: Number(r.debt),
    holders: Number(r.holders),
    pointValue: settings.pointValue,
    outstandingValue: round2(Number(r.balance) * settings.pointValue),
    pendingValue: round2(Number(r.pending) * settings.pointValue),
    expiringWithinNoticePeriod: Number(expiring.rows[0]?.points ?? 0),
  };
}

/** Earned, redeemed, expired, adjusted and reversed points per day or month of the workspace's time zone. */
export async function pointsFlow(db: Db, workspaceId: string, q: { from: Date; to: Date; granularity: 'day' | 'month' }) {
  if (q.from >= q.to) throw invalid('from must be before to', [{ path: 'query.from', message: 'after to' }]);
  const { timezone } = await getWorkspace(db, workspaceId);
  const { rows } = await sql<{ period: string; kind: string; points: number; entries: number }>`
    SELECT to_char(date_trunc(${q.granularity}, created_at AT TIME ZONE ${timezone}), ${q.granularity === 'day' ? 'YYYY-MM-DD' : 'YYYY-MM'}) AS period,
           kind, coalesce(sum(points), 0)::bigint AS points, count(*)::int AS entries
    FROM points_entries WHERE workspace_id = ${workspaceId} AND created_at >= ${q.from} AND created_at < ${q.to}
    GROUP BY 1, 2 ORDER BY 1, 2`.execute(db);
  const periods = new Map<string, Record<string, number>>();
  for (const r of rows) {
    const p = periods.get(r.period) ?? { earn: 0, redeem: 0, expire: 0, adjust: 0, reverse: 0 };
    p[r.kind] = Math.abs(Number(r.points)) * (r.kind === 'adjust' ? Math.sign(Number(r.points)) : 1);
    periods.set(r.period, p);
  }
  return [...periods.entries()].map(([period, kinds]) => ({ period, ...kinds }));
}

/** Per template: issued, redeemed, expired, voided, redemption rate and the GMV of orders that used it. */
export async function couponFunnel(db: Db, workspaceId: string, templateId?: string) {
  const { rows } = await sql<{ template_id: string; name: string; issued: number; redeemed: number; expired: number; voided: number; gmv: number; discount: number }>`
    SELECT t.id AS template_id, t.name, count(c.id)::int AS issued,
           count(c.id) FILTER (WHERE c.status = 'redeemed')::int AS redeemed,
           count(c.id) FILTER (WHERE c.status = 'expired')::int AS expired,
           count(c.id) FILTER (WHERE c.status = 'voided')::int AS voided,
           coalesce(sum(c.order_amount) FILTER (WHERE c.status = 'redeemed'), 0)::numeric AS gmv,
           coalesce(sum(c.discount_amount) FILTER (WHERE c.status = 'redeemed'), 0)::numeric AS discount
    FROM coupon_templates t LEFT JOIN coupons c ON c.workspace_id = t.workspace_id AND c.template_id = t.id
    WHERE t.workspace_id = ${workspaceId} ${templateId ? sql`AND t.id = ${templateId}` : sql``}
    GROUP BY t.id, t.name ORDER BY t.id`.execute(db);
  return rows.map((r) => ({
    templateId: r.template_id,
    name: r.name,
    issued: r.issued,
    redeemed: r.redeemed,
    expired: r.expired,
    voided: r.voided,
    redemptionRate: r.issued ? Math.round((r.redeemed / r.issued) * 10_000) / 10_000 : 0,
    gmv: Number(r.gmv),
    discount: Number(r.discount),
  }));
}

/** Members per tier now, and tier moves (upgrades, downgrades, joins) in a period. */
export async function tierReport(db: Db, workspaceId: string, q: { from: Date; to: Date }) {
  const distribution = await sql<{ tier_id: string | null; members: number }>`
    SELECT tier_id, count(*)::int AS members FROM members WHERE workspace_id = ${workspaceId} AND status = 'active'
    GROUP BY tier_id ORDER BY tier_id NULLS FIRST`.execute(db);
  const movement = await sql<{ from_tier: string | null; to_tier: string | null; reason: string; moves: number }>`
    SELECT from_tier, to_tier, reason, count(*)::int AS moves FROM tier_history
    WHERE workspace_id = ${workspaceId} AND created_at >= ${q.from} AND created_at < ${q.to} AND reason <> 'grace'
    GROUP BY 1, 2, 3 ORDER BY 3, 1 NULLS FIRST, 2`.execute(db);
  return {
    distribution: distribution.rows.map((r) => ({ tierId: r.tier_id, members: r.members })),
    movement: movement.rows.map((r) => ({ fromTier: r.from_tier, toTier: r.to_tier, reason: r.reason, moves: r.moves })),
  };
}
