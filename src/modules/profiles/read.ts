import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { AppError, invalid, notFound } from '../../platform/errors.js';
import { currentProfileOf, normaliseIdentifier } from '../identity/index.js';
import { CHANNEL_OF_IDENTIFIER, type ProfileView } from './schema.js';

export async function getProfile(db: Db, workspaceId: string, requestedId: number): Promise<ProfileView> {
  const id = await currentProfileOf(db, workspaceId, requestedId);
  const [profile, identifiers, merges, conflicts, absorbed] = await Promise.all([
    db.selectFrom('profiles').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirstOrThrow(),
    db.selectFrom('identifiers').select(['id', 'type', 'value', 'first_seen_at']).where('workspace_id', '=', workspaceId).where('profile_id', '=', id).orderBy('id').execute(),
    db
      .selectFrom('profile_merges')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where((eb) => eb.or([eb('profile_id', '=', id), eb('other_profile_id', '=', id)]))
      .orderBy('id', 'desc')
      .execute(),
    sql<{ a_type: string; a_value: string; b_type: string; b_value: string; reason: string; message_id: string; event_time: Date }>`
      SELECT ia.type AS a_type, ia.value AS a_value, ib.type AS b_type, ib.value AS b_value, c.reason, c.message_id, c.event_time
      FROM identity_conflicts c
      JOIN identifiers ia ON ia.workspace_id = c.workspace_id AND ia.id = c.a
      JOIN identifiers ib ON ib.workspace_id = c.workspace_id AND ib.id = c.b
      WHERE c.workspace_id = ${workspaceId} AND (ia.profile_id = ${id} OR ib.profile_id = ${id})
      ORDER BY c.event_time DESC LIMIT 100`.execute(db),
    db.selectFrom('profiles').select('id').where('workspace_id', '=', workspaceId).where('merged_into', '=', id).orderBy('id').execute(),
  ]);
  const channels = [...new Set(identifiers.map((i) => CHANNEL_OF_IDENTIFIER[i.type]).filter((c): c is string => !!c))].sort();
  return {
    id,
    ...(id !== requestedId ? { redirectedFrom: requestedId } : {}),
    traits: profile.traits,
    traitTimes: profile.trait_times,
    identifiers: identifiers.map((i) => ({ id: i.id, type: i.type, value: i.value, firstSeenAt: i.first_seen_at })),
    channels,
    merges: merges.map((m) => ({
      id: m.id,
      kind: m.kind,
      profileId: m.profile_id,
      otherProfileId: m.other_profile_id,
      identifierIds: m.identifier_ids.map(Number),
      reason: m.reason,
      messageId: m.message_id,
      createdBy: m.created_by,
      createdAt: m.created_at,
      undoneAt: m.undone_at,
    })),
    conflicts: conflicts.rows.map((c) => ({
      identifier: `${c.a_type}:${c.a_value}`,
      otherIdentifier: `${c.b_type}:${c.b_value}`,
      reason: c.reason,
      messageId: c.message_id,
      eventTime: c.event_time,
    })),
    absorbedIds: absorbed.map((a) => a.id),
    firstSeenAt: profile.first_seen_at,
    lastSeenAt: profile.last_seen_at,
    createdAt: profile.created_at,
  };
}

/** The live profile of an identifier, by type and value (normalised like ingest does: email case, phone E.164). */
export async function lookupProfile(db: Db, workspaceId: string, type: string, rawValue: string): Promise<ProfileView> {
  const value = normaliseIdentifier(type, rawValue);
  if (value === null) throw invalid(`"${rawValue}" is not a valid ${type}`, [{ path: 'query.value', message: 'not a usable identifier' }]);
  const row = await db
    .selectFrom('identifiers')
    .select('profile_id')
    .where('workspace_id', '=', workspaceId)
    .where('type', '=', type)
    .where('value', '=', value)
    .executeTakeFirst();
  if (!row) throw notFound(`profile with ${type} ${value}`);
  if (row.profile_id === null) throw new AppError('conflict', `the profile of ${type} ${value} is being resolved; retry in a moment`);
  return getProfile(db, workspaceId, row.profile_id);
}

export interface ProfileSummaryRow {
  id: number;
  traits: Record<string, unknown>;
  identifiers: Array<{ type: string; value: string }>;
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
}

/** Live profiles, newest id first, paged by keyset. `q` matches an identifier exactly or a name/email/phone in part. */
export async function listProfiles(db: Db, workspaceId: string, opts: { q?: string; limit: number; cursor?: string }) {
  const before = opts.cursor ? Number(opts.cursor) : undefined;
  if (opts.cursor && !Number.isInteger(before)) throw invalid('invalid cursor', [{ path: 'query.cursor', message: 'use nextCursor from the previous page' }]);
  let q = db
    .selectFrom('profiles as p')
    .select(['p.id', 'p.traits', 'p.first_seen_at', 'p.last_seen_at'])
    .where('p.workspace_id', '=', workspaceId)
    .where('p.merged_into', 'is', null);
  if (before !== undefined) q = q.where('p.id', '<', before);
  if (opts.q) {
    const term = opts.q;
    const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const phone = normaliseIdentifier('phone', term);
    q = q.where((eb) =>
      eb.or([
        eb.exists(
          eb
            .selectFrom('identifiers as i')
            .select(sql`1`.as('one'))
            .whereRef('i.workspace_id', '=', 'p.workspace_id')
            .whereRef('i.profile_id', '=', 'p.id')
            .where((e2) => e2.or([e2('i.value', '=', term), e2('i.value', '=', term.toLowerCase()), ...(phone ? [e2('i.value', '=', phone)] : [])])),
        ),
        eb(sql`p.traits->>'name'`, 'ilike', like),
        eb(sql`p.traits->>'email'`, 'ilike', like),
        eb(sql`p.traits->>'phone'`, 'ilike', like),
      ]),
    );
  }
  const rows = await q.orderBy('p.id', 'desc').limit(opts.limit + 1).execute();
  const page = rows.slice(0, opts.limit);
  const ids = page.map((r) => r.id);
  const identifiers = ids.length
    ? await db.selectFrom('identifiers').select(['profile_id', 'type', 'value']).where('workspace_id', '=', workspaceId).where('profile_id', 'in', ids).orderBy('id').execute()
    : [];
  return {
    data: page.map((r) => ({
      id: r.id,
      traits: r.traits,
      identifiers: identifiers.filter((i) => i.profile_id === r.id).map((i) => ({ type: i.type, value: i.value })),
      firstSeenAt: r.first_seen_at,
      lastSeenAt: r.last_seen_at,
    })),
    nextCursor: rows.length > opts.limit ? String(page[page.length - 1]!.id) : null,
  };
}
