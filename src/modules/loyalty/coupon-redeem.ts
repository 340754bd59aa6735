import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError, invalid } from '../../platform/errors.js';
import { touchProfiles } from './changes.js';
import { tierOf } from './benefits.js';
import { toCoupon } from './coupons.js';
import type { CouponTemplateRow } from './coupon-templates.js';
import { CouponOrder } from './schema.js';

/**
 * Redeeming coupons against an order payload: each code is checked (owner, state, dates, tier, scope, threshold),
 * the set is checked for stacking, and discounts are applied in turn so the total never exceeds what is payable.
 * With `commit`, the coupons are marked redeemed with the order id by a conditional update (a coupon raced by
 * another order fails the whole call); a replay for the same order returns the recorded discounts.
 */
export interface AppliedCoupon {
  couponId: number;
  code: string;
  templateId: string;
  kind: string;
  discount: number;
  freeShipping: boolean;
  giftSku: string | null;
}

export async function redeemCoupons(db: Db, workspaceId: string, input: CouponOrder, opts: { commit: boolean; now?: Date }) {
  const parsed = CouponOrder.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`invalid order: ${issue.path.join('.')}: ${issue.message}`, [{ path: issue.path.join('.'), message: issue.message }]);
  }
  const order = parsed.data;
  const now = opts.now ?? new Date();
  const codes = [...new Set(order.codes)];
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('coupons')
      .innerJoin('coupon_templates as t', (j) => j.onRef('t.workspace_id', '=', 'coupons.workspace_id').onRef('t.id', '=', 'coupons.template_id'))
      .selectAll('coupons')
      .select(() => sql<CouponTemplateRow>`to_jsonb(t.*)`.as('template'))
      .where('coupons.workspace_id', '=', workspaceId)
      .where('coupons.code', 'in', codes)
      .where('coupons.profile_id', '=', order.profileId)
      .orderBy('coupons.id')
      .forUpdate('coupons')
      .execute();
    const applied: AppliedCoupon[] = [];
    const itemsTotal = order.items.reduce((s, i) => s + i.price * i.quantity, 0);
    let payable = itemsTotal;
    const tier = await tierOf(trx, workspaceId, order.profileId);
    const chosen = codes.map((code) => {
      // A shared code may match several coupons of the member: prefer one still usable.
      const candidates = rows.filter((r) => r.code === code);
      const row = candidates.find((r) => r.status === 'issued') ?? candidates.find((r) => r.order_id === order.orderId) ?? candidates[0];
      if (!row) throw new AppError('coupon_not_applicable', `coupon ${code} is not held by profile ${order.profileId}`);
      return row;
    });
    if (chosen.every((r) => r.status === 'redeemed' && r.order_id === order.orderId)) {
      const replay = chosen.map((r) => ({ couponId: r.id, code: r.code, templateId: r.template_id, kind: r.template.kind, discount: Number(r.discount_amount ?? 0), freeShipping: r.template.kind === 'shipping', giftSku: r.template.gift_sku }));
      return { orderId: order.orderId, replayed: true, coupons: replay, totalDiscount: round2(replay.reduce((s, c) => s + c.discount, 0)) };
    }
    checkStacking(chosen.map((r) => r.template));
    for (const row of chosen) {
      const t = row.template;
      const fail = (why: string): never => {
        throw new AppError('coupon_not_applicable', `coupon ${row.code}: ${why}`, [{ path: `codes[${codes.indexOf(row.code)}]`, message: why }]);
      };
      if (row.status !== 'issued') fail(`is ${row.status}`);
      if (row.valid_from && new Date(row.valid_from) > now) fail('is not valid yet');
      if (row.valid_until && new Date(row.valid_until) <= now) fail('has expired');
      if (t.status === 'archived') fail('its template is archived');
      if (t.tiers.length > 0 && (!tier || !t.tiers.includes(tier))) fail(`is for tiers ${t.tiers.join(', ')}`);
      const scope = t.scope ?? {};
      if (scope.stores?.length && !scope.stores.includes(order.storeId ?? '')) fail(`is not valid in store ${order.storeId ?? '(none)'}`);
      if (scope.channels?.length && !scope.channels.includes(order.channel ?? '')) fail(`is not valid on channel ${order.channel ?? '(none)'}`);
      const inScope = order.items.filter(
        (i) => (!scope.skus?.length || scope.skus.includes(i.sku)) && (!scope.categories?.length || (i.category != null && scope.categories.includes(i.category))),
      );
      const subtotal = inScope.reduce((s, i) => s + i.price * i.quantity, 0);
      if (inScope.length === 0 && t.kind !== 'shipping') fail('no item of the order is in its scope');
      if (subtotal < Number(t.threshold)) fail(`needs ${t.threshold} of eligible items, the order has ${round2(subtotal)}`);
      let discount = 0;
      if (t.kind === 'fixed' || t.kind === 'threshold') discount = Math.min(Number(t.amount), subtotal);
      else if (t.kind === 'percentage') discount = Math.min((subtotal * Number(t.percent_off)) / 100, t.max_discount == null ? Infinity : Number(t.max_discount));
      else if (t.kind === 'shipping') discount = Number(t.amount) > 0 ? Math.min(Number(t.amount), order.shippingAmount) : order.shippingAmount;
      // Goods discounts never take the order below zero; shipping is paid separately.
      if (t.kind !== 'shipping') {
        discount = Math.min(discount, payable);
        payable -= discount;
      }
      applied.push({ couponId: row.id, code: row.code, templateId: t.id, kind: t.kind, discount: round2(discount), freeShipping: t.kind === 'shipping', giftSku: t.gift_sku });
    }
    if (opts.commit) {
      for (const a of applied) {
        const done = await trx
          .updateTable('coupons')
          .set({ status: 'redeemed', redeemed_at: now, order_id: order.orderId, discount_amount: a.discount, order_amount: round2(itemsTotal + order.shippingAmount) })
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', a.couponId)
          .where('status', '=', 'issued')
          .executeTakeFirst();
        if (Number(done.numUpdatedRows) !== 1) throw new AppError('conflict', `coupon ${a.code} was redeemed concurrently`);
      }
      await touchProfiles(trx, workspaceId, [order.profileId]);
    }
    return { orderId: order.orderId, replayed: false, coupons: applied, totalDiscount: round2(applied.reduce((s, c) => s + c.discount, 0)) };
  });
}

/** Exclusive coupons stand alone; combinable ones only with templates each names (an empty list names any). */
function checkStacking(templates: CouponTemplateRow[]): void {
  if (templates.length < 2) return;
  for (const [i, a] of templates.entries()) {
    if (a.stacking === 'exclusive') throw new AppError('coupon_not_applicable', `coupon template ${a.id} cannot be combined with other coupons`);
    for (const [j, b] of templates.entries()) {
      if (i === j) continue;
      const allowed = a.combinable_with.length === 0 ? a.id !== b.id : a.combinable_with.includes(b.id);
      if (!allowed) throw new AppError('coupon_not_applicable', `coupon template ${a.id} cannot be combined with ${b.id}`);
    }
  }
}

/** Refunding an order gives back its coupons whose template says so (if they are still within their dates). */
export async function returnCouponsForOrder(db: Db, workspaceId: string, orderId: string, now = new Date()) {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .updateTable('coupons')
      .set({ status: 'issued', order_id: null, redeemed_at: null, discount_amount: null, order_amount: null, returned_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('order_id', '=', orderId)
      .where('status', '=', 'redeemed')
      .where((eb) => eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', now)]))
      .where('template_id', 'in', (eb) =>
        eb.selectFrom('coupon_templates').select('coupon_templates.id').where('coupon_templates.workspace_id', '=', workspaceId).where('coupon_templates.return_on_refund', '=', true),
      )
      .returningAll()
      .execute();
    await touchProfiles(trx, workspaceId, rows.map((r) => r.profile_id));
    return rows.map(toCoupon);
  });
}

/** The orders hook's form: coupons of those orders that are now refunded or cancelled go back (one statement). */
export async function returnCouponsOfUndoneOrders(db: Db, workspaceId: string, orderIds: string[], now = new Date()): Promise<number> {
  if (orderIds.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ profile_id: number }>`
      UPDATE coupons AS c SET status = 'issued', order_id = NULL, redeemed_at = NULL, discount_amount = NULL, order_amount = NULL, returned_at = ${now}
      FROM orders o, coupon_templates t
      WHERE c.workspace_id = ${workspaceId} AND c.order_id = ANY(${orderIds}::text[]) AND c.status = 'redeemed'
        AND (c.valid_until IS NULL OR c.valid_until > ${now})
        AND o.workspace_id = c.workspace_id AND o.order_id = c.order_id AND o.status IN ('refunded', 'cancelled')
        AND t.workspace_id = c.workspace_id AND t.id = c.template_id AND t.return_on_refund
      RETURNING c.profile_id`.execute(trx);
    await touchProfiles(trx, workspaceId, rows.map((r) => Number(r.profile_id)).sort((a, b) => a - b));
    return rows.length;
  });
}

const round2 = (n: number) => Math.round(n * 100) / 100;
