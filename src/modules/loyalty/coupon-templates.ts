import type { Selectable } from 'kysely';
import type { z } from 'zod';
import type { Db } from '../../platform/db/database.js';
import type { CouponTemplatesTable } from '../../platform/db/schema.js';
import { AppError, invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { CouponTemplateInput } from './schema.js';
import { endOfLocalDay, withZonedDates, workspaceZone } from './local-dates.js';

export type CouponTemplateRow = Selectable<CouponTemplatesTable>;

/** validFrom and validUntil without an offset are the workspace's wall clock; a validUntil date includes that day. */
const zonedValidity = <T>(input: T, timeZone: string) => withZonedDates(input, timeZone, ['validFrom', 'validUntil'], ['validUntil']);

export async function createCouponTemplate(db: Db, workspaceId: string, input: CouponTemplateInput) {
  const parsed = CouponTemplateInput.safeParse(zonedValidity(input, await workspaceZone(db, workspaceId)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`invalid coupon template: ${issue.path.join('.')}: ${issue.message}`, [{ path: issue.path.join('.'), message: issue.message }]);
  }
  const t = parsed.data;
  const row = await db
    .insertInto('coupon_templates')
    .values({
      workspace_id: workspaceId,
      id: t.id ?? newId('ct', 10),
      ...columnsOf(t),
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'id']).doNothing())
    .returningAll()
    .executeTakeFirst()
    .catch((err: { code?: string }) => {
      if (err.code === '23505') throw new AppError('conflict', `shared code ${t.sharedCode} is already used by another template`);
      throw err;
    });
  if (!row) throw new AppError('conflict', `coupon template ${t.id} already exists`);
  return toTemplate(row);
}

/**
 * The terms a holder's coupon is worth and where it can be used: fixed once a coupon of the template was issued
 * (a new template is the way to change them). What stays editable: name, status, stock (it can grow, and shrink
 * down to the number issued), per-member limit, validity (for coupons issued from then on: an issued coupon keeps
 * its own dates) and whether a refund returns the coupon.
 */
const TERMS = ['kind', 'amount', 'percentOff', 'maxDiscount', 'threshold', 'giftSku', 'scope', 'stacking', 'combinableWith', 'tiers', 'codeMode', 'sharedCode'] as const;

export async function updateCouponTemplate(db: Db, workspaceId: string, id: string, patch: Record<string, unknown>) {
  const zone = await workspaceZone(db, workspaceId);
  const given = zonedValidity(Object.fromEntries(Object.entries(patch).filter(([key, v]) => v !== undefined && key !== 'id')), zone);
  const row = await db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('coupon_templates').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) throw notFound(`coupon template ${id}`);
    const before = toTemplate(current);
    if (current.issued_count > 0) {
      const changed = TERMS.filter((key) => key in given && JSON.stringify(given[key] ?? null) !== JSON.stringify(before[key] ?? null));
      if (changed.length) throw new AppError('conflict', `coupon template ${id} has issued coupons: ${changed.join(', ')} cannot change (create a new template)`);
    }
    const parsed = CouponTemplateInput.safeParse({ ...before, ...given });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw invalid(`invalid coupon template: ${issue.path.join('.')}: ${issue.message}`, [{ path: issue.path.join('.'), message: issue.message }]);
    }
    const t = parsed.data;
    if (t.totalStock != null && t.totalStock < current.issued_count) {
      throw invalid(`totalStock is below the ${current.issued_count} coupons already issued`, [{ path: 'totalStock', message: 'too low' }]);
    }
    return trx
      .updateTable('coupon_templates')
      .set({ ...columnsOf(t), updated_at: new Date() })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }).catch((err: { code?: string }) => {
    if (err.code === '23505') throw new AppError('conflict', `shared code ${String(given.sharedCode)} is already used by another template`);
    throw err;
  });
  return toTemplate(row);
}

function columnsOf(t: z.output<typeof CouponTemplateInput>) {
  return {
    name: t.name,
    kind: t.kind,
    amount: t.amount,
    percent_off: t.percentOff,
    max_discount: t.maxDiscount ?? null,
    threshold: t.threshold,
    gift_sku: t.giftSku ?? null,
    scope: JSON.stringify(t.scope),
    valid_from: t.validFrom ?? null,
    valid_until: t.validUntil ?? null,
    valid_days: t.validDays ?? null,
    total_stock: t.totalStock ?? null,
    per_member_limit: t.perMemberLimit ?? null,
    stacking: t.stacking,
    combinable_with: t.combinableWith,
    tiers: t.tiers,
    code_mode: t.codeMode,
    shared_code: t.codeMode === 'shared' ? (t.sharedCode ?? null) : null,
    return_on_refund: t.returnOnRefund,
    status: t.status,
  };
}

export async function getTemplateRow(db: Db, workspaceId: string, id: string): Promise<CouponTemplateRow> {
  const row = await db.selectFrom('coupon_templates').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`coupon template ${id}`);
  return row;
}

export async function getCouponTemplate(db: Db, workspaceId: string, id: string) {
  return toTemplate(await getTemplateRow(db, workspaceId, id));
}

export async function listCouponTemplates(db: Db, workspaceId: string) {
  const rows = await db.selectFrom('coupon_templates').selectAll().where('workspace_id', '=', workspaceId).orderBy('created_at').execute();
  return rows.map(toTemplate);
}

export function toTemplate(row: CouponTemplateRow) {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    amount: row.amount,
    percentOff: row.percent_off,
    maxDiscount: row.max_discount,
    threshold: row.threshold,
    giftSku: row.gift_sku,
    scope: row.scope,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    validDays: row.valid_days,
    totalStock: row.total_stock,
    issuedCount: row.issued_count,
    perMemberLimit: row.per_member_limit,
    stacking: row.stacking,
    combinableWith: row.combinable_with,
    tiers: row.tiers,
    codeMode: row.code_mode,
    sharedCode: row.shared_code,
    returnOnRefund: row.return_on_refund,
    status: row.status,
    createdAt: row.created_at,
  };
}

/**
 * The validity window of a coupon received at `at`: the template's dates, narrowed by `valid_days` if set. N days
 * count the day of receipt as the first and end with the Nth day in the workspace's zone (领取当日起 N 天内有效):
 * received 1 May 10:00 with 7 days, it is valid until 7 May 23:59:59.999. A coupon received before the template's
 * `valid_from` (handed out ahead of a sale) cannot be used before it, so its N days count from that local day
 * instead: received 1 November for a template from 11 November with 3 days, it is valid 11-13 November (counted
 * from receipt, it would have ended before it could ever be used). The template's `valid_until` still caps it.
 */
export function validityFor(t: CouponTemplateRow, at: Date, timeZone: string): { from: Date | null; until: Date | null } {
  const from = t.valid_from;
  let until = t.valid_until;
  if (t.valid_days) {
    const start = from && from > at ? from : at;
    const relative = endOfLocalDay(start, timeZone, t.valid_days - 1);
    until = until && until < relative ? until : relative;
  }
  return { from, until: until ?? null };
}
