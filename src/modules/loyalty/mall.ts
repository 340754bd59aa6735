import { sql, type Selectable } from 'kysely';
import { z } from 'zod';
import type { Db } from '../../platform/db/database.js';
import type { MallItemsTable } from '../../platform/db/schema.js';
import { AppError, invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { MAX_INT4 } from '../../platform/http/validation.js';
import { debit, lockAccount } from './ledger.js';
import { tierOf } from './benefits.js';
import { issueCouponInTrx } from './coupons.js';
import { getTemplateRow } from './coupon-templates.js';
import { patchOf } from './schema.js';

export const MallItemFields = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  name: z.string().trim().min(1).max(200),
  kind: z.enum(['coupon', 'goods']),
  templateId: z.string().optional().describe('coupon items: the coupon template issued'),
  sku: z.string().optional().describe('goods items: the SKU shipped'),
  pointsPrice: z.number().int().positive().max(MAX_INT4),
  stock: z.number().int().nonnegative().max(MAX_INT4).nullish(),
  perMemberLimit: z.number().int().positive().max(MAX_INT4).nullish(),
  tiers: z.array(z.string()).default([]),
  status: z.enum(['active', 'paused', 'archived']).default('active'),
});
export const MallItemInput = MallItemFields.refine((i) => i.kind !== 'coupon' || !!i.templateId, { path: ['templateId'], message: 'coupon items need a templateId' });
/**
 * PATCH of an item. Once exchanged, what it is (kind, coupon template, SKU) is fixed; name, price (for exchanges
 * from then on), stock (it can grow, and shrink down to the number exchanged), per-member limit, tiers and status
 * stay editable.
 */
export const MallItemPatch = patchOf(MallItemFields, ['id']);
const IDENTITY = ['kind', 'templateId', 'sku'] as const;

export async function createMallItem(db: Db, workspaceId: string, input: z.input<typeof MallItemInput>) {
  const parsed = MallItemInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`invalid mall item: ${issue.path.join('.')}: ${issue.message}`, [{ path: issue.path.join('.'), message: issue.message }]);
  }
  const i = parsed.data;
  if (i.templateId) await getTemplateRow(db, workspaceId, i.templateId);
  const row = await db
    .insertInto('mall_items')
    .values({ workspace_id: workspaceId, id: i.id ?? newId('mi', 10), ...columnsOf(i) })
    .onConflict((oc) => oc.columns(['workspace_id', 'id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  // A caller-chosen id that is taken: a conflict, as for coupon templates (the unique violation was a 500).
  if (!row) throw new AppError('conflict', `mall item ${i.id} already exists`);
  return toItem(row);
}

const columnsOf = (i: z.output<typeof MallItemInput>) => ({
  name: i.name, kind: i.kind, template_id: i.templateId ?? null, sku: i.sku ?? null, points_price: i.pointsPrice, stock: i.stock ?? null,
  per_member_limit: i.perMemberLimit ?? null, tiers: i.tiers, status: i.status,
});

export async function updateMallItem(db: Db, workspaceId: string, id: string, patch: Record<string, unknown>) {
  const given = Object.fromEntries(Object.entries(patch).filter(([key, v]) => v !== undefined && key !== 'id'));
  const row = await db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('mall_items').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) throw notFound(`mall item ${id}`);
    const before = toItem(current);
    if (current.exchanged > 0) {
      const changed = IDENTITY.filter((key) => key in given && (given[key] ?? null) !== (before[key] ?? null));
      if (changed.length) throw new AppError('conflict', `mall item ${id} was exchanged: ${changed.join(', ')} cannot change (create a new item)`);
    }
    const parsed = MallItemInput.safeParse({ ...withoutNulls(before), ...given });
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw invalid(`invalid mall item: ${issue.path.join('.')}: ${issue.message}`, [{ path: issue.path.join('.'), message: issue.message }]);
    }
    const i = parsed.data;
    if (i.stock != null && i.stock < current.exchanged) throw invalid(`stock is below the ${current.exchanged} already exchanged`, [{ path: 'stock', message: 'too low' }]);
    if (i.templateId && i.templateId !== current.template_id) await getTemplateRow(trx, workspaceId, i.templateId);
    return trx.updateTable('mall_items').set(columnsOf(i)).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
  });
  return toItem(row);
}

/** The stored item as input: optional strings are absent rather than null. */
const withoutNulls = (item: ReturnType<typeof toItem>) => ({ ...item, templateId: item.templateId ?? undefined, sku: item.sku ?? undefined });

export async function listMallItems(db: Db, workspaceId: string, opts: { activeOnly?: boolean } = {}) {
  let q = db.selectFrom('mall_items').selectAll().where('workspace_id', '=', workspaceId);
  if (opts.activeOnly) q = q.where('status', '=', 'active');
  return (await q.orderBy('created_at').execute()).map(toItem);
}

/**
 * Exchanges points for an item, atomically: the points are spent (under the profile's account lock, which also
 * serialises the per-member limit count), the stock is taken by a conditional UPDATE, and coupon items issue their
 * coupons, all in one transaction; any refusal rolls everything back. A replayed key returns the first exchange.
 */
export async function exchangeMallItem(db: Db, workspaceId: string, input: { profileId: number; itemId: string; quantity?: number; idempotencyKey: string }) {
  const quantity = input.quantity ?? 1;
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > 100) throw invalid('quantity must be 1–100', [{ path: 'quantity', message: 'out of range' }]);
  return db.transaction().execute(async (trx) => {
    await lockAccount(trx, workspaceId, input.profileId);
    const replay = await trx.selectFrom('mall_exchanges').selectAll().where('workspace_id', '=', workspaceId).where('idempotency_key', '=', input.idempotencyKey).executeTakeFirst();
    if (replay) return { exchangeId: replay.id, itemId: replay.item_id, quantity: replay.quantity, points: replay.points, couponIds: replay.coupon_ids, replayed: true };
    const item = await trx.selectFrom('mall_items').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', input.itemId).executeTakeFirst();
    if (!item) throw notFound(`mall item ${input.itemId}`);
    if (item.status !== 'active') throw new AppError('conflict', `mall item ${item.id} is ${item.status}`);
    if (item.tiers.length > 0) {
      const tier = await tierOf(trx, workspaceId, input.profileId);
      if (!tier || !item.tiers.includes(tier)) throw new AppError('forbidden', `mall item ${item.id} is for tiers ${item.tiers.join(', ')}`);
    }
    if (item.per_member_limit != null) {
      const { rows } = await sql<{ n: number }>`SELECT coalesce(sum(quantity), 0)::int AS n FROM mall_exchanges
        WHERE workspace_id = ${workspaceId} AND profile_id = ${input.profileId} AND item_id = ${item.id}`.execute(trx);
      if (Number(rows[0]?.n ?? 0) + quantity > item.per_member_limit) throw new AppError('limit_reached', `at most ${item.per_member_limit} of ${item.name} per member`);
    }
    const points = item.points_price * quantity;
    const spent = await debit(trx, workspaceId, { profileId: input.profileId, points, kind: 'redeem', reason: `mall: ${item.name}`, sourceType: 'mall', sourceId: item.id, idempotencyKey: `mall:${input.idempotencyKey}` });
    const taken = await trx
      .updateTable('mall_items')
      .set({ exchanged: sql`exchanged + ${quantity}` })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', item.id)
      .where((eb) => eb.or([eb('stock', 'is', null), eb(sql`exchanged + ${quantity}`, '<=', eb.ref('stock'))]))
      .executeTakeFirst();
    if (Number(taken.numUpdatedRows) !== 1) throw new AppError('out_of_stock', `mall item ${item.id} is out of stock`);
    const couponIds: number[] = [];
    if (item.kind === 'coupon' && item.template_id) {
      const template = await trx.selectFrom('coupon_templates').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', item.template_id).executeTakeFirstOrThrow();
      for (let n = 0; n < quantity; n += 1) {
        const coupon = await issueCouponInTrx(trx, workspaceId, template, input.profileId, { source: 'mall', sourceId: item.id, idempotencyKey: `mall:${input.idempotencyKey}:${n}` });
        couponIds.push(coupon.id);
      }
    }
    const row = await trx
      .insertInto('mall_exchanges')
      .values({ workspace_id: workspaceId, item_id: item.id, profile_id: input.profileId, origin_profile_id: input.profileId, quantity, points, entry_id: spent.entryId, coupon_ids: couponIds, idempotency_key: input.idempotencyKey })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { exchangeId: row.id, itemId: item.id, quantity, points, couponIds, replayed: false, balance: spent.balance };
  });
}

function toItem(row: Selectable<MallItemsTable>) {
  return { id: row.id, name: row.name, kind: row.kind, templateId: row.template_id, sku: row.sku, pointsPrice: row.points_price, stock: row.stock, exchanged: row.exchanged, perMemberLimit: row.per_member_limit, tiers: row.tiers, status: row.status };
}
