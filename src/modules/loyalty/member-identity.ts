import type { Db } from '../../platform/db/database.js';
import { AppError, invalid } from '../../platform/errors.js';
import { ingestMessages } from '../ingest/index.js';

/**
 * Binding a card merges identities through OneID: one Segment identify message carrying the member number as an
 * external id, sent through the ingest module like any other source. Returns the profile the member number
 * resolved to. The one place loyalty talks to identity.
 */
export async function linkMemberIdentity(
  db: Db,
  workspaceId: string,
  input: { userId?: string; anonymousId?: string; profileId?: number; memberNo: string; at: Date },
): Promise<number> {
  let { userId, anonymousId } = input;
  if (!userId && !anonymousId && input.profileId) ({ userId, anonymousId } = await anchorOf(db, workspaceId, input.profileId));
  await ingestMessages(db, workspaceId, [
    {
      type: 'identify',
      messageId: `member-bind:${input.memberNo}:${userId ?? anonymousId}`,
      ...(userId ? { userId } : { anonymousId }),
      traits: { member_no: input.memberNo },
      timestamp: input.at.toISOString(),
      context: { externalIds: [{ id: input.memberNo, type: 'member_no', collection: 'users', encoding: 'none' }] },
    },
  ]);
  const row = await db
    .selectFrom('identifiers')
    .select('profile_id')
    .where('workspace_id', '=', workspaceId)
    .where('type', '=', 'member_no')
    .where('value', '=', input.memberNo)
    .executeTakeFirst();
  if (!row || row.profile_id == null) throw new AppError('conflict', `member number ${input.memberNo} is being resolved; retry in a moment`);
  const anchor = await db
    .selectFrom('identifiers')
    .select('profile_id')
    .where('workspace_id', '=', workspaceId)
    .where('type', '=', userId ? 'userId' : 'anonymousId')
    .where('value', '=', (userId ?? anonymousId)!.trim())
    .executeTakeFirst();
  // OneID refuses a link that would give one person two member numbers: the card then stays apart.
  if (anchor?.profile_id !== row.profile_id) throw new AppError('conflict', `member number ${input.memberNo} could not be bound: the person already holds another member number, or the number belongs to someone else`);
  return row.profile_id;
}

/** An identifier that names the profile in a Segment message: its userId, else an anonymousId. */
async function anchorOf(db: Db, workspaceId: string, profileId: number): Promise<{ userId?: string; anonymousId?: string }> {
  const rows = await db
    .selectFrom('identifiers')
    .select(['type', 'value'])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .where('type', 'in', ['userId', 'anonymousId'])
    .execute();
  const user = rows.find((r) => r.type === 'userId');
  if (user) return { userId: user.value };
  const anon = rows.find((r) => r.type === 'anonymousId');
  if (anon) return { anonymousId: anon.value };
  throw invalid(`profile ${profileId} has no userId or anonymousId to bind a card to`, [{ path: 'profileId', message: 'no usable identifier' }]);
}
