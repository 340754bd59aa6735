import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError, invalid, notFound, unauthorized } from '../../platform/errors.js';
import { touchProfiles } from './changes.js';
import { memberOf, type TierBenefits } from './benefits.js';
import { linkMemberIdentity } from './member-identity.js';
import { issueCoupon } from './coupons.js';
import { listTiers, retier } from './tiers.js';
import { BindRequest } from './schema.js';

/** The next issued member number of a workspace: 10 digits, from a per-workspace counter. */
async function issueMemberNo(db: Db, workspaceId: string): Promise<string> {
  const row = await db
    .insertInto('member_numbers')
    .values({ workspace_id: workspaceId, next_value: 1 })
    .onConflict((oc) => oc.column('workspace_id').doUpdateSet({ next_value: sql`member_numbers.next_value + 1` }))
    .returning('next_value')
    .executeTakeFirstOrThrow();
  return String(row.next_value).padStart(10, '0');
}

/**
 * A profile becomes a member by binding a card: the member number (imported or issued) is linked to the person's
 * identity through OneID, then the member row is written for the profile that resolved. Binding twice is a no-op.
 */
export async function bindMemberCard(db: Db, workspaceId: string, input: BindRequest, now = new Date()) {
  const parsed = BindRequest.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw invalid(`invalid binding: ${issue.message}`, [{ path: issue.path.join('.'), message: issue.message }]);
  }
  const req = parsed.data;
  const knownProfile = req.userId || req.anonymousId ? await profileOfIdentifier(db, workspaceId, req) : req.profileId;
  if (knownProfile) {
    const existing = await memberOf(db, workspaceId, knownProfile);
    if (existing && (!req.memberNo || existing.member_no === req.memberNo)) return toMember(existing);
  }
  if (req.memberNo) {
    const taken = await db.selectFrom('members').select('profile_id').where('workspace_id', '=', workspaceId).where('member_no', '=', req.memberNo).executeTakeFirst();
    if (taken && req.profileId && taken.profile_id !== req.profileId) throw new AppError('conflict', `member number ${req.memberNo} is bound to another profile`);
  }
  const memberNo = req.memberNo ?? (await issueMemberNo(db, workspaceId));
  const profileId = await linkMemberIdentity(db, workspaceId, { ...req, memberNo, at: now });
  const member = await db.transaction().execute(async (trx) => {
    const current = await trx.selectFrom('members').selectAll().where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).orderBy('joined_at').limit(1).forUpdate().executeTakeFirst();
    if (current) return current;
    const row = await trx
      .insertInto('members')
      .values({ workspace_id: workspaceId, origin_profile_id: profileId, profile_id: profileId, member_no: memberNo, join_channel: req.joinChannel ?? null, store_id: req.storeId ?? null, joined_at: now })
      .onConflict((oc) => oc.doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AppError('conflict', `member number ${memberNo} is already bound`);
    await touchProfiles(trx, workspaceId, [profileId]);
    return row;
  });
  await applyTierChange(db, workspaceId, profileId, now);
  return toMember((await memberOf(db, workspaceId, profileId)) ?? member);
}

async function profileOfIdentifier(db: Db, workspaceId: string, req: { userId?: string; anonymousId?: string }): Promise<number | undefined> {
  const row = await db
    .selectFrom('identifiers')
    .select('profile_id')
    .where('workspace_id', '=', workspaceId)
    .where('type', '=', req.userId ? 'userId' : 'anonymousId')
    .where('value', '=', (req.userId ?? req.anonymousId)!.trim())
    .executeTakeFirst();
  return row?.profile_id ?? undefined;
}

/** Re-tiers after points or spend changed (upgrade at once) and hands out the new tier's one-off benefits. */
export async function applyTierChange(db: Db, workspaceId: string, profileId: number, now = new Date()) {
  const result = await retier(db, workspaceId, profileId, { now });
  if (!result?.changed || !result.tierId) return result;
  const tier = (await listTiers(db, workspaceId)).find((t) => t.id === result.tierId);
  const templateId = (tier?.benefits as TierBenefits | undefined)?.freeShippingCouponTemplateId;
  if (templateId) {
    const member = await memberOf(db, workspaceId, profileId);
    await issueCoupon(db, workspaceId, templateId, profileId, { source: 'tier', sourceId: tier!.id, idempotencyKey: `tier:${tier!.id}:${member?.origin_profile_id ?? profileId}:shipping` }).catch(() => undefined);
  }
  return result;
}

export async function getMember(db: Db, workspaceId: string, profileId: number) {
  const row = await memberOf(db, workspaceId, profileId);
  if (!row) throw notFound(`member for profile ${profileId}`);
  const tiers = await listTiers(db, workspaceId);
  return { ...toMember(row), tier: tiers.find((t) => t.id === row.tier_id) ?? null };
}

export async function getMemberByNumber(db: Db, workspaceId: string, memberNo: string) {
  const row = await db.selectFrom('members').selectAll().where('workspace_id', '=', workspaceId).where('member_no', '=', memberNo).executeTakeFirst();
  if (!row) throw notFound(`member ${memberNo}`);
  return getMember(db, workspaceId, row.profile_id);
}

function toMember(row: NonNullable<Awaited<ReturnType<typeof memberOf>>>) {
  return {
    profileId: row.profile_id,
    memberNo: row.member_no,
    joinChannel: row.join_channel,
    storeId: row.store_id,
    joinedAt: row.joined_at,
    tierId: row.tier_id,
    tierSince: row.tier_since,
    status: row.status,
  };
}

// --- member tokens: what a mini-program or H5 page holds after binding
const TOKEN_DAYS = 30;
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export async function issueMemberToken(db: Db, workspaceId: string, profileId: number, now = new Date()) {
  const member = await memberOf(db, workspaceId, profileId);
  if (!member) throw notFound(`member for profile ${profileId}`);
  const token = `mt_${randomBytes(24).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + TOKEN_DAYS * 86_400_000);
  await db.insertInto('member_tokens').values({ workspace_id: workspaceId, token_hash: hash(token), profile_id: profileId, origin_profile_id: member.origin_profile_id, expires_at: expiresAt }).execute();
  return { token, expiresAt };
}

/** The workspace and (current) profile of a live member token, or 401. */
export async function authenticateMember(db: Db, token: string | undefined): Promise<{ workspaceId: string; profileId: number }> {
  if (!token || !token.startsWith('mt_')) throw unauthorized('missing member token');
  const row = await db.selectFrom('member_tokens').select(['workspace_id', 'profile_id', 'expires_at', 'revoked_at']).where('token_hash', '=', hash(token)).executeTakeFirst();
  if (!row || row.revoked_at || row.expires_at <= new Date()) throw unauthorized('invalid or expired member token');
  return { workspaceId: row.workspace_id, profileId: row.profile_id };
}

export async function revokeMemberTokens(db: Db, workspaceId: string, profileId: number): Promise<number> {
  const r = await db.updateTable('member_tokens').set({ revoked_at: new Date() }).where('workspace_id', '=', workspaceId).where('profile_id', '=', profileId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}
