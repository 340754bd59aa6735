import { randomBytes } from 'node:crypto';
import { sql, type Selectable, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { CouponsTable, DB } from '../../platform/db/schema.js';
import { AppError, notFound } from '../../platform/errors.js';
import { touchProfiles } from './changes.js';
import { tierOf } from './benefits.js';
import { getTemplateRow, validityFor, type CouponTemplateRow } from './coupon-templates.js';
import { workspaceZone } from './local-dates.js';

type Trx = Transaction<DB>;

const CODE_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'; // Crockford base32: no I, L, O, U

/** 16 characters of base32 from a CSPRNG: 80 random bits, unguessable and easy to read aloud at a till. */
export function newCouponCode(): string {
  const bytes = randomBytes(16);
  let out = '';
  for (const b of bytes) out += CODE_ALPHABET[b & 31];
  return out;
}

export interface IssueOptions {
  source: 'api' | 'journey' | 'campaign' | 'mall' | 'claim' | 'tier';
  sourceId?: string | null;
  idempotencyKey?: string | null;
  now?: Date;
}

export function checkTemplateIssuable(t: CouponTemplateRow, now: Date): void {
  if (t.status !== 'active') throw new AppError('coupon_not_applicable', `coupon template ${t.id} is ${t.status}`);
  if (t.valid_until && t.valid_until <= now) throw new AppError('coupon_not_applicable', `coupon template ${t.id} has ended`);
}

/**
 * Issues one coupon in the caller's transaction. The per-member limit is claimed first (a row per member and
 * template), then stock by a conditional UPDATE that can never pass `total_stock`: the hot template row is locked
 * for as short as possible, and a refusal rolls both back.
 */
export async function issueCouponInTrx(trx: Trx, workspaceId: string, t: CouponTemplateRow, profileId: number, opts: IssueOptions): Promise<Selectable<CouponsTable>> {
  const now = opts.now ?? new Date();
  if (opts.idempotencyKey) {
    const existing = await trx.selectFrom('coupons').selectAll().where('workspace_id', '=', workspaceId).where('idempotency_key', '=', opts.idempotencyKey).executeTakeFirst();
    if (existing) return existing;
  }
  checkTemplateIssuable(t, now);
  if (t.tiers.length > 0) {
    const tier = await tierOf(trx, workspaceId, profileId);
    if (!tier || !t.tiers.includes(tier)) throw new AppError('coupon_not_applicable', `coupon template ${t.id} is for tiers ${t.tiers.join(', ')}`);
  }
  if (t.per_member_limit != null) {
    const held = await trx
      .insertInto('coupon_holdings')
      .values({ workspace_id: workspaceId, template_id: t.id, profile_id: profileId, count: 1 })
      .onConflict((oc) => oc.columns(['workspace_id', 'template_id', 'profile_id']).doUpdateSet({ count: sql`coupon_holdings.count + 1` }).where('coupon_holdings.count', '<', t.per_member_limit))
      .returning('count')
      .executeTakeFirst();
    if (!held) throw new AppError('limit_reached', `profile ${profileId} already holds ${t.per_member_limit} of coupon template ${t.id}`);
  }
  const stock = await trx
    .updateTable('coupon_templates')
    .set({ issued_count: sql`issued_count + 1` })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', t.id)
    .where((eb) => eb.or([eb('total_stock', 'is', null), eb('issued_count', '<', eb.ref('total_stock'))]))
    .returning('issued_count')
    .executeTakeFirst();
  if (!stock) throw new AppError('out_of_stock', `coupon template ${t.id} is out of stock`);
  const validity = validityFor(t, now, await workspaceZone(trx, workspaceId));
  const shared = t.code_mode === 'shared';
  const coupon = await trx
    .insertInto('coupons')
    .values({
      workspace_id: workspaceId,
      code: shared ? t.shared_code! : newCouponCode(),
      shared,
      template_id: t.id,
      profile_id: profileId,
      origin_profile_id: profileId,
      source: opts.source,
      source_id: opts.sourceId ?? null,
      idempotency_key: opts.idempotencyKey ?? null,
      issued_at: now,
      valid_from: validity.from,
      valid_until: validity.until,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await touchProfiles(trx, workspaceId, [profileId]);
  return coupon;
}

export async function issueCoupon(db: Db, workspaceId: string, templateId: string, profileId: number, opts: IssueOptions) {
  const t = await getTemplateRow(db, workspaceId, templateId);
  try {
    return toCoupon(await db.transaction().execute((trx) => issueCouponInTrx(trx, workspaceId, t, profileId, opts)));
  } catch (err) {
    // Two replays of one key racing: the loser sees the winner's coupon.
    if ((err as { code?: string }).code === '23505' && opts.idempotencyKey) {
      const existing = await db.selectFrom('coupons').selectAll().where('workspace_id', '=', workspaceId).where('idempotency_key', '=', opts.idempotencyKey).executeTakeFirst();
      if (existing) return toCoupon(existing);
    }
    throw err;
  }
}

/** A member claims a coupon by a template's shared code (e.g. printed on a poster). */
export async function claimSharedCode(db: Db, workspaceId: string, code: string, profileId: number) {
  const t = await db.selectFrom('coupon_templates').selectAll().where('workspace_id', '=', workspaceId).where('shared_code', '=', code).executeTakeFirst();
  if (!t) throw notFound(`coupon code ${code}`);
  return issueCoupon(db, workspaceId, t.id, profileId, { source: 'claim', sourceId: code, idempotencyKey: t.per_member_limit == null ? `claim:${t.id}:${profileId}` : null });
}

export async function listCoupons(db: Db, workspaceId: string, filter: { profileId?: number; templateId?: string; status?: string; limit?: number }) {
  let q = db.selectFrom('coupons').selectAll().where('workspace_id', '=', workspaceId);
  if (filter.profileId) q = q.where('profile_id', '=', filter.profileId);
  if (filter.templateId) q = q.where('template_id', '=', filter.templateId);
  if (filter.status) q = q.where('status', '=', filter.status as never);
  const rows = await q.orderBy('id', 'desc').limit(filter.limit ?? 100).execute();
  return rows.map(toCoupon);
}

export async function voidCoupon(db: Db, workspaceId: string, couponId: number) {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('coupons')
      .set({ status: 'voided', voided_at: new Date() })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', couponId)
      .where('status', '=', 'issued')
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AppError('conflict', `coupon ${couponId} does not exist or is not in the issued state`);
    await touchProfiles(trx, workspaceId, [row.profile_id]);
    return toCoupon(row);
  });
}

/** The expiry job for coupons: issued coupons past their date become expired. */
export async function expireDueCoupons(db: Db, workspaceId: string, now = new Date()): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .updateTable('coupons')
      .set({ status: 'expired' })
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'issued')
      .where('valid_until', '<=', now)
      .returning('profile_id')
      .execute();
    await touchProfiles(trx, workspaceId, rows.map((r) => r.profile_id));
    return rows.length;
  });
}

export function toCoupon(row: Selectable<CouponsTable>) {
  return {
    id: row.id,
    code: row.code,
    templateId: row.template_id,
    profileId: row.profile_id,
    status: row.status,
    source: row.source,
    issuedAt: row.issued_at,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    redeemedAt: row.redeemed_at,
    orderId: row.order_id,
    discountAmount: row.discount_amount,
  };
}
