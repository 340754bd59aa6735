import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { DB } from '../../platform/db/schema.js';
import { queryNamed, type Db } from '../../platform/db/database.js';
import { AppError, invalid, notFound } from '../../platform/errors.js';
import { normaliseIdentifier } from '../identity/index.js';
import { CHANNEL_OF_IDENTIFIER, type ProfileView } from './schema.js';

export async function getProfile(db: Db, workspaceId: string, requestedId: number): Promise<ProfileView> {
  const view = await readProfileView(db, workspaceId, { id: requestedId });
  if (!view || view === 'unresolved') throw notFound(`profile ${requestedId}`);
  return view;
}

/** The live profile of an identifier, by type and value (normalised like ingest does: email case, phone E.164). */
export async function lookupProfile(db: Db, workspaceId: string, type: string, rawValue: string): Promise<ProfileView> {
  const value = normaliseIdentifier(type, rawValue);
  if (value === null) throw invalid(`"${rawValue}" is not a valid ${type}`, [{ path: 'query.value', message: 'not a usable identifier' }]);
  const view = await readProfileView(db, workspaceId, { type, value });
  if (!view) throw notFound(`profile with ${type} ${value}`);
  if (view === 'unresolved') throw new AppError('conflict', `the profile of ${type} ${value} is being resolved; retry in a moment`);
  return view;
}

interface ProfileViewRow {
  started: number;
  chained: number;
  requested: number | null;
  id: number | null;
  traits: Record<string, unknown>;
  trait_times: Record<string, string>;
  first_seen_at: Date | null;
  last_seen_at: Date | null;
  created_at: Date;
  identifiers: Array<{ id: number; type: string; value: string; first_seen_at: string }>;
  merges: Array<{ id: number; kind: string; profile_id: number; other_profile_id: number; identifier_ids: number[]; reason: string; message_id: string | null; created_by: string | null; created_at: string; undone_at: string | null }>;
  conflicts: Array<{ a_type: string; a_value: string; b_type: string; b_value: string; reason: string; message_id: string; event_time: string }>;
  absorbed: number[];
}

/**
 * The whole 360° identity view in one round trip: the start id, its redirects to the live profile, and the
 * profile's identifiers, merges, conflicts and absorbed ids as JSON. It runs as a plpgsql function (migration 0005)
 * so PostgreSQL keeps its plan per connection: planning the statement afresh cost several times its execution.
 */
const PROFILE_VIEW_COLUMNS = `SELECT o_started AS started, o_chained AS chained, o_requested AS requested, o_id AS id,
  o_traits AS traits, o_trait_times AS trait_times, o_first_seen_at AS first_seen_at, o_last_seen_at AS last_seen_at,
  o_created_at AS created_at, o_identifiers AS identifiers, o_merges AS merges, o_conflicts AS conflicts, o_absorbed AS absorbed`;
/** A named statement on PostgreSQL (see queryNamed): parsed and planned once per connection. */
const PROFILE_VIEW_SQL = `${PROFILE_VIEW_COLUMNS} FROM siyu_profile_view($1::text, $2::bigint, $3::text, $4::text)`;

async function readProfileView(db: Db, workspaceId: string, start: { id: number } | { type: string; value: string }): Promise<ProfileView | 'unresolved' | null> {
  const byId = 'id' in start ? start.id : null;
  const type = 'type' in start ? start.type : null;
  const value = 'value' in start ? start.value : null;
  const rows =
    (await queryNamed<ProfileViewRow>(db, 'siyu_profile_view_v1', PROFILE_VIEW_SQL, [workspaceId, byId, type, value])) ??
    (await sql<ProfileViewRow>`${sql.raw(PROFILE_VIEW_COLUMNS)} FROM siyu_profile_view(${workspaceId}::text, ${byId}::bigint, ${type}::text, ${value}::text)`.execute(db)).rows;
  const row = rows[0];
  if (!row || row.started === 0) return null;
  if (row.requested === null) return 'unresolved'; // an identifier whose component waits for its recompute
  if (row.chained === 0) return null;
  if (row.id === null) throw new AppError('internal', `profile ${row.requested} has no live profile (redirect loop?)`);
  const identifiers = row.identifiers.map((i) => ({ id: Number(i.id), type: i.type, value: i.value, firstSeenAt: new Date(i.first_seen_at) }));
  const channels = [...new Set(identifiers.map((i) => (Object.hasOwn(CHANNEL_OF_IDENTIFIER, i.type) ? CHANNEL_OF_IDENTIFIER[i.type] : undefined)).filter((c): c is string => !!c))].sort();
  return {
    id: row.id,
    ...(row.id !== Number(row.requested) ? { redirectedFrom: Number(row.requested) } : {}),
    traits: row.traits,
    traitTimes: row.trait_times,
    identifiers,
    channels,
    merges: row.merges.map((m) => ({
      id: Number(m.id),
      kind: m.kind as ProfileView['merges'][number]['kind'],
      profileId: Number(m.profile_id),
      otherProfileId: Number(m.other_profile_id),
      identifierIds: m.identifier_ids.map(Number),
      reason: m.reason,
      messageId: m.message_id,
      createdBy: m.created_by,
      createdAt: new Date(m.created_at),
      undoneAt: m.undone_at === null ? null : new Date(m.undone_at),
    })),
    conflicts: row.conflicts.map((c) => ({
      identifier: `${c.a_type}:${c.a_value}`,
      otherIdentifier: `${c.b_type}:${c.b_value}`,
      reason: c.reason,
      messageId: c.message_id,
      eventTime: new Date(c.event_time),
    })),
    absorbedIds: row.absorbed.map(Number),
    firstSeenAt: row.first_seen_at,
    lastSeenAt: row.last_seen_at,
    createdAt: row.created_at,
  };
}

export interface ProfileSummaryRow {
  id: number;
  traits: Record<string, unknown>;
  identifiers: Array<{ type: string; value: string }>;
  firstSeenAt: Date | null;
  lastSeenAt: Date | null;
}

/** Live profiles, newest id first, paged by keyset. `q` matches an identifier exactly or a name/email/phone in part. */
export type ProfileKind = 'all' | 'members' | 'known' | 'anonymous';

export async function listProfiles(db: Db, workspaceId: string, opts: { q?: string; kind?: ProfileKind; limit: number; cursor?: string }) {
  const before = opts.cursor ? Number(opts.cursor) : undefined;
  if (opts.cursor && !Number.isSafeInteger(before)) throw invalid('invalid cursor', [{ path: 'query.cursor', message: 'use nextCursor from the previous page' }]);
  const kind = opts.kind ?? 'all';
  // A search reads the profiles anyway (it matches names in part): only a plain page of members or known people is read
  // from their identifiers.
  const rows = (kind === 'members' || kind === 'known') && !opts.q ? await listHolders(db, workspaceId, kind, before, opts.limit + 1) : await listLive(db, workspaceId, kind, opts.q, before, opts.limit + 1);
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

type ProfileAlias = DB & { p: DB['profiles'] };

/** The search: a profile one of whose identifiers is the term (as typed, lower-cased, as a phone), or whose name, email or phone trait contains it. */
function matchesSearch(eb: ExpressionBuilder<ProfileAlias, 'p'>, term: string): Expression<SqlBool> {
  const like = `%${term.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const phone = normaliseIdentifier('phone', term);
  return eb.or([
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
  ]);
}

/** Live profiles newest first; members, known people (any identifier but a device's anonymousId) or anonymous visitors apart. */
function listLive(db: Db, workspaceId: string, kind: ProfileKind, term: string | undefined, before: number | undefined, limit: number) {
  let q = db
    .selectFrom('profiles as p')
    .select(['p.id', 'p.traits', 'p.first_seen_at', 'p.last_seen_at'])
    .where('p.workspace_id', '=', workspaceId)
    .where('p.merged_into', 'is', null);
  if (before !== undefined) q = q.where('p.id', '<', before);
  if (term) q = q.where((eb) => matchesSearch(eb, term));
  if (kind !== 'all') {
    q = q.where((eb) => {
      const has = eb
        .selectFrom('identifiers as k')
        .select(sql`1`.as('one'))
        .whereRef('k.workspace_id', '=', 'p.workspace_id')
        .whereRef('k.profile_id', '=', 'p.id')
        .where('k.type', kind === 'members' ? '=' : '<>', kind === 'members' ? 'member_no' : 'anonymousId');
      return kind === 'anonymous' ? eb.not(eb.exists(has)) : eb.exists(has);
    });
  }
  return q.orderBy('p.id', 'desc').limit(limit).execute();
}

/**
 * Members (a member number) or known people (any identifier but a device's anonymousId) newest first, read from those
 * identifiers by profile id (partial indexes identifiers_member_profile, 0011, and identifiers_known_profile, 0012)
 * and each one's profile in turn. Walking the profiles for them read the whole workspace when the newest profiles are
 * visitors: 68 ms a page of members among 186,000 newer visitors, 50 ms a page of known people (the console's
 * default) under 200,000 newer anonymous visitors (bench/scale-audit-routes.sh). A profile with several such
 * identifiers is read at its first (no DISTINCT: it made the planner read and sort them all). The lateral read
 * (LIMIT 1: one profile per id) keeps the planner from joining all of them to all profiles. A search does not come
 * here: probing each of 300,000 known people's profiles for a name took 1.1 s, scanning the profiles 0.2 s.
 */
function listHolders(db: Db, workspaceId: string, kind: 'members' | 'known', before: number | undefined, limit: number) {
  const [op, type] = kind === 'members' ? (['=', 'member_no'] as const) : (['<>', 'anonymousId'] as const);
  let q = db
    .selectFrom('identifiers as k')
    .innerJoinLateral(
      (eb) =>
        eb
          .selectFrom('profiles as p')
          .select(['p.id', 'p.traits', 'p.first_seen_at', 'p.last_seen_at'])
          .where('p.workspace_id', '=', workspaceId)
          .whereRef('p.id', '=', 'k.profile_id')
          .where('p.merged_into', 'is', null)
          .limit(1)
          .as('p'),
      (join) => join.onTrue(),
    )
    .select(['p.id', 'p.traits', 'p.first_seen_at', 'p.last_seen_at'])
    .where('k.workspace_id', '=', workspaceId)
    .where('k.type', op, type)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom('identifiers as d')
            .select(sql`1`.as('one'))
            .where('d.workspace_id', '=', workspaceId)
            .where('d.type', op, type)
            .whereRef('d.profile_id', '=', 'k.profile_id')
            .whereRef('d.id', '<', 'k.id'),
        ),
      ),
    );
  if (before !== undefined) q = q.where('k.profile_id', '<', before);
  return q.orderBy('k.profile_id', 'desc').limit(limit).execute();
}
