import { sql, type Selectable } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { CouponCampaignsTable } from '../../platform/db/schema.js';
import { invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { checkTemplateIssuable, newCouponCode } from './coupons.js';
import { getTemplateRow, validityFor } from './coupon-templates.js';
import { workspaceZone } from './local-dates.js';

/**
 * A campaign issues one coupon per target profile, in chunks: each chunk is one transaction that reserves stock
 * for the chunk with one conditional UPDATE, inserts the coupons with one multi-row insert (idempotency key per
 * campaign and profile, so a re-run never issues twice) and advances the campaign's cursor, which is the progress.
 */
export async function createCouponCampaign(
  db: Db,
  workspaceId: string,
  input: { templateId: string; segmentId?: string | null; profileIds?: number[] | null; createdBy?: string | null },
) {
  if (!input.segmentId === !input.profileIds) throw invalid('give either segmentId or profileIds', [{ path: 'segmentId', message: 'one of segmentId, profileIds' }]);
  await getTemplateRow(db, workspaceId, input.templateId);
  const ids = input.profileIds ? [...new Set(input.profileIds)].sort((a, b) => a - b) : null;
  const row = await db
    .insertInto('coupon_campaigns')
    .values({
      workspace_id: workspaceId,
      id: newId('cc', 10),
      template_id: input.templateId,
      segment_id: input.segmentId ?? null,
      profile_ids: ids,
      total: ids ? ids.length : null,
      created_by: input.createdBy ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toCampaign(row);
}

/** Profile ids of a segment after `after`, in id order. The one place that reads the rules module's membership. */
async function segmentPage(db: Db, workspaceId: string, segmentId: string, after: number, limit: number): Promise<number[]> {
  const { rows } = await sql<{ profile_id: number }>`
    SELECT profile_id FROM segment_members
    WHERE workspace_id = ${workspaceId} AND segment_id = ${segmentId} AND profile_id > ${after}
    ORDER BY profile_id LIMIT ${limit}`.execute(db);
  return rows.map((r) => Number(r.profile_id));
}

async function segmentSize(db: Db, workspaceId: string, segmentId: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM segment_members WHERE workspace_id = ${workspaceId} AND segment_id = ${segmentId}`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

export async function runCouponCampaign(db: Db, workspaceId: string, campaignId: string, opts: { chunkSize?: number; now?: Date } = {}) {
  const chunkSize = opts.chunkSize ?? 5_000;
  let campaign = await getCampaignRow(db, workspaceId, campaignId);
  if (campaign.status === 'done') return toCampaign(campaign);
  const t = await getTemplateRow(db, workspaceId, campaign.template_id);
  const total = campaign.total ?? (campaign.segment_id ? await segmentSize(db, workspaceId, campaign.segment_id) : 0);
  await db.updateTable('coupon_campaigns').set({ status: 'running', started_at: campaign.started_at ?? new Date(), total })
    .where('workspace_id', '=', workspaceId).where('id', '=', campaignId).execute();
  try {
    for (;;) {
      const now = opts.now ?? new Date();
      checkTemplateIssuable(t, now);
      const targets = campaign.profile_ids
        ? campaign.profile_ids.filter((id) => id > campaign.cursor).slice(0, chunkSize)
        : await segmentPage(db, workspaceId, campaign.segment_id!, campaign.cursor, chunkSize);
      if (targets.length === 0) break;
      const { stockLeft } = await issueChunk(db, workspaceId, campaign, t.id, targets, now);
      campaign = await getCampaignRow(db, workspaceId, campaignId);
      if (stockLeft === 0) {
        await db.updateTable('coupon_campaigns').set({ error: 'stock exhausted' }).where('workspace_id', '=', workspaceId).where('id', '=', campaignId).execute();
        break;
      }
    }
    const done = await db.updateTable('coupon_campaigns').set({ status: 'done', finished_at: new Date() })
      .where('workspace_id', '=', workspaceId).where('id', '=', campaignId).returningAll().executeTakeFirstOrThrow();
    return toCampaign(done);
  } catch (err) {
    await db.updateTable('coupon_campaigns').set({ status: 'failed', error: (err as Error).message })
      .where('workspace_id', '=', workspaceId).where('id', '=', campaignId).execute();
    throw err;
  }
}

async function issueChunk(db: Db, workspaceId: string, campaign: Selectable<CouponCampaignsTable>, templateId: string, targets: number[], now: Date) {
  return db.transaction().execute(async (trx) => {
    const locked = await trx.selectFrom('coupon_campaigns').select('cursor').where('workspace_id', '=', workspaceId).where('id', '=', campaign.id).forUpdate().executeTakeFirstOrThrow();
    if (locked.cursor !== campaign.cursor) return { stockLeft: null }; // another runner moved on; re-read
    const t = await trx.selectFrom('coupon_templates').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', templateId).forUpdate().executeTakeFirstOrThrow();
    let eligible = targets;
    if (t.tiers.length > 0) {
      const members = await trx.selectFrom('members').select(['profile_id', 'tier_id']).where('workspace_id', '=', workspaceId).where(sql<boolean>`profile_id = ANY(${targets}::bigint[])`).execute();
      const ok = new Set(members.filter((m) => m.tier_id && t.tiers.includes(m.tier_id)).map((m) => m.profile_id));
      eligible = eligible.filter((id) => ok.has(id));
    }
    if (t.per_member_limit != null) {
      const full = await trx.selectFrom('coupon_holdings').select('profile_id').where('workspace_id', '=', workspaceId).where('template_id', '=', t.id)
        .where(sql<boolean>`profile_id = ANY(${targets}::bigint[])`).where('count', '>=', t.per_member_limit).execute();
      const skip = new Set(full.map((r) => r.profile_id));
      eligible = eligible.filter((id) => !skip.has(id));
    }
    const room = t.total_stock == null ? eligible.length : Math.max(0, Math.min(eligible.length, t.total_stock - t.issued_count));
    const chosen = eligible.slice(0, room);
    const validity = validityFor(t, now, await workspaceZone(trx, workspaceId));
    let inserted: number[] = [];
    if (chosen.length > 0) {
      const codes = chosen.map(() => (t.code_mode === 'shared' ? t.shared_code! : newCouponCode()));
      const keys = chosen.map((id) => `campaign:${campaign.id}:${id}`);
      const result = await sql<{ profile_id: number }>`
        INSERT INTO coupons (workspace_id, code, shared, template_id, profile_id, origin_profile_id, source, source_id, idempotency_key, issued_at, valid_from, valid_until)
        SELECT ${workspaceId}, c, ${t.code_mode === 'shared'}, ${t.id}, p, p, 'campaign', ${campaign.id}, k, ${now}, ${validity.from}, ${validity.until}
        FROM unnest(${codes}::text[], ${chosen}::bigint[], ${keys}::text[]) AS x(c, p, k)
        ON CONFLICT (workspace_id, idempotency_key) DO NOTHING
        RETURNING profile_id`.execute(trx);
      inserted = result.rows.map((r) => Number(r.profile_id));
    }
    if (inserted.length > 0) {
      await trx.updateTable('coupon_templates').set({ issued_count: sql`issued_count + ${inserted.length}` }).where('workspace_id', '=', workspaceId).where('id', '=', t.id).execute();
      if (t.per_member_limit != null) {
        await sql`INSERT INTO coupon_holdings (workspace_id, template_id, profile_id, count)
          SELECT ${workspaceId}, ${t.id}, p, 1 FROM unnest(${inserted}::bigint[]) AS x(p)
          ON CONFLICT (workspace_id, template_id, profile_id) DO UPDATE SET count = coupon_holdings.count + 1`.execute(trx);
      }
      await sql`INSERT INTO profile_changes (workspace_id, profile_id) SELECT ${workspaceId}, p FROM unnest(${inserted}::bigint[]) AS x(p)
        ON CONFLICT (workspace_id, profile_id) DO UPDATE SET changed_at = now()`.execute(trx);
    }
    await trx
      .updateTable('coupon_campaigns')
      .set({
        cursor: targets[targets.length - 1]!,
        processed: sql`processed + ${targets.length}`,
        issued: sql`issued + ${inserted.length}`,
        skipped: sql`skipped + ${targets.length - inserted.length}`,
      } as never)
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', campaign.id)
      .execute();
    return { stockLeft: t.total_stock == null ? null : t.total_stock - t.issued_count - inserted.length };
  });
}

async function getCampaignRow(db: Db, workspaceId: string, id: string) {
  const row = await db.selectFrom('coupon_campaigns').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`coupon campaign ${id}`);
  return row;
}

/** Newest first, a page at a time: `before` is the id of the last campaign seen (the page's nextBefore). */
export async function listCouponCampaigns(db: Db, workspaceId: string, opts: { status?: CampaignStatus; templateId?: string; limit?: number; before?: string } = {}) {
  const limit = opts.limit ?? 50;
  let q = db.selectFrom('coupon_campaigns as c').selectAll('c').where('c.workspace_id', '=', workspaceId);
  if (opts.status) q = q.where('c.status', '=', opts.status);
  if (opts.templateId) q = q.where('c.template_id', '=', opts.templateId);
  if (opts.before) {
    await getCampaignRow(db, workspaceId, opts.before);
    q = q.where(sql<boolean>`(c.created_at, c.id) < (SELECT b.created_at, b.id FROM coupon_campaigns b WHERE b.workspace_id = ${workspaceId} AND b.id = ${opts.before})`);
  }
  const rows = await q.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  return { data: page.map(toCampaign), nextBefore: rows.length > limit ? page[page.length - 1]!.id : null };
}

export type CampaignStatus = Selectable<CouponCampaignsTable>['status'];

export async function getCouponCampaign(db: Db, workspaceId: string, id: string) {
  return toCampaign(await getCampaignRow(db, workspaceId, id));
}

function toCampaign(row: Selectable<CouponCampaignsTable>) {
  return {
    id: row.id,
    templateId: row.template_id,
    segmentId: row.segment_id,
    status: row.status,
    total: row.total,
    processed: row.processed,
    issued: row.issued,
    skipped: row.skipped,
    progress: row.total ? Math.min(1, row.processed / row.total) : row.status === 'done' ? 1 : 0,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}
