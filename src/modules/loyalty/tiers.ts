import { sql, type Kysely, type Transaction } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { DB } from '../../platform/db/schema.js';
import { invalid } from '../../platform/errors.js';
import { touchProfiles } from './changes.js';
import { getLoyaltySettings } from './settings.js';
import { monthsBefore, startOfLocalYear, workspaceZone } from './local-dates.js';
import { TierInput, type LoyaltySettings } from './schema.js';
import type { TierBenefits } from './benefits.js';

type Conn = Kysely<DB> | Transaction<DB>;
type Tier = { id: string; name: string; rank: number; threshold: number; benefits: TierBenefits };

/** Replaces the tier ladder (e.g. 普通/银卡/金卡/黑金). A tier still held by members cannot be removed. */
export async function setTiers(db: Db, workspaceId: string, input: unknown[]): Promise<Tier[]> {
  const tiers = input.map((t, i) => {
    const parsed = TierInput.safeParse(t);
    if (!parsed.success) throw invalid(`invalid tier: ${parsed.error.issues[0]!.message}`, [{ path: `tiers[${i}].${parsed.error.issues[0]!.path.join('.')}`, message: parsed.error.issues[0]!.message }]);
    return parsed.data;
  });
  if (new Set(tiers.map((t) => t.rank)).size !== tiers.length) throw invalid('tier ranks must be unique', [{ path: 'tiers', message: 'duplicate rank' }]);
  await db.transaction().execute(async (trx) => {
    const keep = tiers.map((t) => t.id);
    const held = await trx.selectFrom('members').select('tier_id').distinct().where('workspace_id', '=', workspaceId).where('tier_id', 'is not', null).execute();
    const orphan = held.map((h) => h.tier_id!).filter((id) => !keep.includes(id));
    if (orphan.length) throw invalid(`tiers ${orphan.join(', ')} are held by members and cannot be removed`);
    await trx.deleteFrom('member_tiers').where('workspace_id', '=', workspaceId).execute();
    if (tiers.length) {
      await trx
        .insertInto('member_tiers')
        .values(tiers.map((t) => ({ workspace_id: workspaceId, id: t.id, name: t.name, rank: t.rank, threshold: t.threshold, benefits: JSON.stringify(t.benefits) })))
        .execute();
    }
  });
  tierCache.delete(workspaceId);
  return listTiers(db, workspaceId);
}

/** The ladder is read after every credit (upgrades are immediate): cache it briefly; setTiers clears it. */
const tierCache = new Map<string, { tiers: Tier[]; expires: number }>();

export async function listTiers(db: Conn, workspaceId: string): Promise<Tier[]> {
  const hit = tierCache.get(workspaceId);
  if (hit && hit.expires > Date.now()) return hit.tiers;
  const tiers = await readTiers(db, workspaceId);
  tierCache.set(workspaceId, { tiers, expires: Date.now() + 5_000 });
  return tiers;
}

async function readTiers(db: Conn, workspaceId: string): Promise<Tier[]> {
  const rows = await db.selectFrom('member_tiers').selectAll().where('workspace_id', '=', workspaceId).orderBy('rank').execute();
  return rows.map((r) => ({ id: r.id, name: r.name, rank: r.rank, threshold: r.threshold, benefits: r.benefits as TierBenefits }));
}

/** Start of the qualifying period: rolling N months back, or 00:00 on 1 January of the current year in the zone. */
export function periodStart(settings: LoyaltySettings, now: Date, timeZone: string): Date {
  if (settings.tiers.period === 'calendar') return startOfLocalYear(now, timeZone);
  return monthsBefore(now, timeZone, settings.tiers.rollingMonths);
}

/** Points earned, operator adjustments included (or net amount spent), in the qualifying period. */
export async function qualifyingValue(db: Conn, workspaceId: string, profileId: number, settings: LoyaltySettings, now: Date): Promise<number> {
  const from = periodStart(settings, now, await workspaceZone(db, workspaceId));
  if (settings.tiers.basis === 'points') {
    const { rows } = await sql<{ v: number }>`SELECT coalesce(sum(points), 0)::bigint AS v FROM points_entries
      WHERE workspace_id = ${workspaceId} AND profile_id = ${profileId} AND kind IN ('earn', 'adjust') AND created_at >= ${from} AND created_at <= ${now}`.execute(db);
    return Number(rows[0]?.v ?? 0);
  }
  const { rows } = await sql<{ v: number }>`SELECT coalesce(sum(paid_amount - refunded_amount), 0)::numeric AS v FROM orders
    WHERE workspace_id = ${workspaceId} AND profile_id = ${profileId} AND paid_at IS NOT NULL AND paid_at >= ${from} AND paid_at <= ${now}
      AND status IN ('paid', 'partially_refunded', 'refunded')`.execute(db);
  return Number(rows[0]?.v ?? 0);
}

export const tierFor = (tiers: Tier[], value: number) => [...tiers].reverse().find((t) => value >= t.threshold) ?? null;
export const rankOf = (tiers: Tier[], id: string | null) => tiers.find((t) => t.id === id)?.rank ?? -1;

/**
 * Re-tiers one member. Upgrades happen at once; a member below their tier's threshold is only moved down at an
 * evaluation (`evaluation: true`), after the grace period that starts at the first evaluation that finds them below.
 */
export async function retier(db: Db, workspaceId: string, profileId: number, opts: { now?: Date; evaluation?: boolean } = {}) {
  const now = opts.now ?? new Date();
  const settings = await getLoyaltySettings(db, workspaceId);
  const tiers = await listTiers(db, workspaceId);
  if (tiers.length === 0) return null;
  return db.transaction().execute(async (trx) => {
    const member = await trx
      .selectFrom('members')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('profile_id', '=', profileId)
      .where('status', '=', 'active')
      .orderBy('joined_at')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
    if (!member) return null;
    const value = await qualifyingValue(trx, workspaceId, profileId, settings, now);
    const target = tierFor(tiers, value) ?? tiers[0]!;
    const current = rankOf(tiers, member.tier_id);
    const move = async (to: string, reason: string) => {
      await trx.updateTable('members').set({ tier_id: to, tier_since: now, below_since: null })
        .where('workspace_id', '=', workspaceId).where('origin_profile_id', '=', member.origin_profile_id).execute();
      await trx.insertInto('tier_history').values({ workspace_id: workspaceId, profile_id: profileId, origin_profile_id: member.origin_profile_id, from_tier: member.tier_id, to_tier: to, reason, qualifying: value }).execute();
      await touchProfiles(trx, workspaceId, [profileId]);
    };
    if (target.rank > current) {
      await move(target.id, member.tier_id ? 'upgrade' : 'join');
      return { tierId: target.id, changed: true, qualifying: value };
    }
    if (target.rank === current || !opts.evaluation) {
      if (target.rank === current && member.below_since) {
        await trx.updateTable('members').set({ below_since: null }).where('workspace_id', '=', workspaceId).where('origin_profile_id', '=', member.origin_profile_id).execute();
      }
      return { tierId: member.tier_id, changed: false, qualifying: value };
    }
    const graceMs = settings.tiers.graceDays * 86_400_000;
    if (!member.below_since && graceMs > 0) {
      await trx.updateTable('members').set({ below_since: now }).where('workspace_id', '=', workspaceId).where('origin_profile_id', '=', member.origin_profile_id).execute();
      await trx.insertInto('tier_history').values({ workspace_id: workspaceId, profile_id: profileId, origin_profile_id: member.origin_profile_id, from_tier: member.tier_id, to_tier: member.tier_id, reason: 'grace', qualifying: value }).execute();
      return { tierId: member.tier_id, changed: false, qualifying: value };
    }
    if (member.below_since && now.getTime() - member.below_since.getTime() < graceMs) return { tierId: member.tier_id, changed: false, qualifying: value };
    await move(target.id, 'downgrade');
    return { tierId: target.id, changed: true, qualifying: value };
  });
}

/** The evaluation job (e.g. monthly or on 1 January): every member is re-tiered, downgrades included. */
export async function evaluateTiers(db: Db, workspaceId: string, now = new Date()) {
  let after = -1;
  let evaluated = 0;
  let changed = 0;
  for (;;) {
    const batch = await db.selectFrom('members').select('profile_id').distinct().where('workspace_id', '=', workspaceId)
      .where('status', '=', 'active').where('profile_id', '>', after).orderBy('profile_id').limit(500).execute();
    if (batch.length === 0) return { evaluated, changed };
    for (const { profile_id: profileId } of batch) {
      const r = await retier(db, workspaceId, profileId, { now, evaluation: true });
      evaluated += 1;
      if (r?.changed) changed += 1;
    }
    after = batch[batch.length - 1]!.profile_id;
  }
}

export async function tierHistory(db: Db, workspaceId: string, profileId: number) {
  const rows = await db.selectFrom('tier_history').selectAll().where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).orderBy('id').execute();
  return rows.map((r) => ({ fromTier: r.from_tier, toTier: r.to_tier, reason: r.reason, qualifying: r.qualifying, at: r.created_at }));
}
