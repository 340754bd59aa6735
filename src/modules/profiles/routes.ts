import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { appendProfileEvents } from '../ingest/index.js';
import { currentProfileOf, listIdentifierSettings, setIdentifierSetting, unmergeProfiles } from '../identity/index.js';
import { deleteProfile } from './delete.js';
import { getProfile, listProfiles, lookupProfile } from './read.js';
import { ListProfilesQuery, LookupQuery, ProfileIdParams, ProfileSummary, ProfileView, TimelineEntry, TimelineQuery, TraitsPatch, UnmergeBody } from './schema.js';
import { profileTimeline } from './timeline.js';

export function registerProfileRoutes(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Profiles (OneID)'];

  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/profiles', summary: 'List or search live profiles', tags, auth: 'admin', query: ListProfilesQuery,
      response: z.object({ data: z.array(ProfileSummary), nextCursor: z.string().nullable() }) },
    ({ workspaceId, query }) => listProfiles(db, workspaceId, query),
  );
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/profiles/lookup', summary: 'Find the profile of an identifier', tags, auth: 'admin', query: LookupQuery, response: ProfileView },
    ({ workspaceId, query }) => lookupProfile(db, workspaceId, query.type, query.value),
  );
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/profiles/:id', summary: 'Read a profile: identities, traits, merge history (absorbed ids resolve to their survivor)', tags,
      auth: 'admin', params: ProfileIdParams, response: ProfileView },
    ({ workspaceId, params }) => getProfile(db, workspaceId, params.id),
  );
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/profiles/:id/events', summary: "A profile's timeline of events and orders, newest first", tags, auth: 'admin',
      params: ProfileIdParams, query: TimelineQuery, response: z.object({ profileId: z.number(), data: z.array(TimelineEntry), nextCursor: z.string().nullable() }) },
    ({ workspaceId, params, query }) => profileTimeline(db, workspaceId, params.id, query),
  );
  defineRoute(
    app,
    { method: 'PATCH', url: '/api/v1/profiles/:id/traits', summary: 'Set traits (recorded as an identify by the operator; newest value wins)', tags,
      auth: 'admin', params: ProfileIdParams, body: TraitsPatch, response: ProfileView },
    async ({ workspaceId, params, body, actor }) => {
      const id = await currentProfileOf(db, workspaceId, params.id);
      await db.transaction().execute((trx) =>
        appendProfileEvents(trx, workspaceId, [{ profileId: id, type: 'identify', traits: body.traits, properties: { operator: actor } }]),
      );
      return getProfile(db, workspaceId, id);
    },
  );
  defineRoute(
    app,
    { method: 'POST', url: '/api/v1/profiles/:id/unmerge', summary: 'Undo a merge: both profiles come back with their own histories', tags, auth: 'admin',
      params: ProfileIdParams, body: UnmergeBody, response: ProfileView },
    async ({ workspaceId, params, body, actor }) => {
      await currentProfileOf(db, workspaceId, params.id);
      await unmergeProfiles(db, workspaceId, body.mergeId, actor);
      return getProfile(db, workspaceId, params.id);
    },
  );
  defineRoute(
    app,
    { method: 'DELETE', url: '/api/v1/profiles/:id', summary: 'Delete a profile with its events, orders and identifiers', tags, auth: 'admin', params: ProfileIdParams },
    ({ workspaceId, params }) => deleteProfile(db, workspaceId, params.id),
  );

  // Both are int columns (identifier_settings): a larger number is a 400 here, not a 500 from the insert.
  const int4 = z.number().int().min(-2_147_483_648).max(2_147_483_647);
  const IdentifierSetting = z.object({ type: z.string(), priority: int4, maxPerProfile: int4.positive().nullable() });
  defineRoute(
    app,
    { method: 'GET', url: '/api/v1/identifier-settings', summary: 'Identifier types with their priority and per-profile limit', tags, auth: 'admin',
      response: z.object({ data: z.array(IdentifierSetting.extend({ isDefault: z.boolean() })) }) },
    async ({ workspaceId }) => ({ data: await listIdentifierSettings(db, workspaceId) }),
  );
  defineRoute(
    app,
    { method: 'PUT', url: '/api/v1/identifier-settings/:type', summary: "Set an identifier type's priority and limit (null = unlimited)", tags, auth: 'admin',
      params: z.object({ type: z.string() }), body: IdentifierSetting.omit({ type: true }) },
    ({ workspaceId, params, body }) => setIdentifierSetting(db, workspaceId, { type: params.type, ...body }),
  );
}
