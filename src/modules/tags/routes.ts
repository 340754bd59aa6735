import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { applyTag, importTagCsv, profileTags, removeTag, tagHistory } from './assign.js';
import { overlapReport } from './overlap.js';
import { ApplyTagInput, OverlapRef, OverlapReport, ProfileTag, Tag, TagGroup, TagGroupInput, TagHistoryEntry, TagInput, TagUpdate, TagSource } from './schema.js';
import { archiveTag, createTag, createTagGroup, getTag, listTagGroups, mergeTag, pageTags, updateTag } from './service.js';

const IdParams = z.object({ id: z.string().min(1) });
const OverlapRefList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean).map((ref) => {
    const at = ref.indexOf(':');
    return { kind: ref.slice(0, at), id: at < 0 ? '' : ref.slice(at + 1) };
  }))
  .pipe(z.array(OverlapRef).min(2).max(50));
const ProfileParams = z.object({ id: z.coerce.number().int().positive() });

/** `afterRuleChange` recomputes what depends on a rule tag (segments over tags), owned by the segments module. */
export function registerTagRoutes(app: FastifyInstance, ctx: AppContext, hooks: { afterRuleChange: (workspaceId: string, tagId: string) => Promise<void> }): void {
  const { db } = ctx.database;
  const tags = ['Tags'];

  defineRoute(app, { method: 'GET', url: '/api/v1/tag-groups', summary: 'List tag groups', tags, auth: 'admin', response: z.object({ data: z.array(TagGroup) }) },
    async ({ workspaceId }) => ({ data: await listTagGroups(db, workspaceId) }));
  defineRoute(app, { method: 'POST', url: '/api/v1/tag-groups', summary: 'Create a tag group (category: basic, consumption, preference, social, activity, custom)', tags, auth: 'admin', status: 201, body: TagGroupInput, response: TagGroup },
    ({ workspaceId, body }) => createTagGroup(db, workspaceId, body));

  defineRoute(app, { method: 'GET', url: '/api/v1/tags', summary: 'List tags with their sizes: filtered (group, kind, name), sorted and paged (`limit`, `offset`; `total` counts all matches)', tags, auth: 'admin',
    query: z.object({
      groupId: z.string().optional(),
      includeArchived: z.stringbool().optional(),
      q: z.string().trim().max(100).optional(),
      kind: z.enum(['manual', 'rule']).optional(),
      sort: z.enum(['createdAt', 'name', 'size']).optional(),
      order: z.enum(['asc', 'desc']).optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(1000),
      offset: z.coerce.number().int().min(0).default(0),
    }),
    response: z.object({ data: z.array(Tag), total: z.number() }) },
    ({ workspaceId, query }) => pageTags(db, workspaceId, query));
  defineRoute(app, { method: 'POST', url: '/api/v1/tags', summary: 'Create a manual tag, or a rule tag (computed at once, then kept current)', tags, auth: 'admin', status: 201, body: TagInput, response: Tag },
    async ({ workspaceId, body }) => {
      const tag = await createTag(db, workspaceId, body);
      return tag;
    });
  defineRoute(app, { method: 'GET', url: '/api/v1/tags/:id', summary: 'A tag', tags, auth: 'admin', params: IdParams, response: Tag },
    ({ workspaceId, params }) => getTag(db, workspaceId, params.id));
  defineRoute(app, { method: 'PATCH', url: '/api/v1/tags/:id', summary: 'Rename, move or describe a tag, or change a rule tag\'s rule (full recompute)', tags, auth: 'admin', params: IdParams, body: TagUpdate, response: Tag },
    async ({ workspaceId, params, body }) => {
      const tag = await updateTag(db, workspaceId, params.id, body);
      if (body.rule || body.ruleValue !== undefined) await hooks.afterRuleChange(workspaceId, params.id);
      return tag;
    });
  defineRoute(app, { method: 'POST', url: '/api/v1/tags/:id/archive', summary: 'Archive a tag: members lose it, history stays', tags, auth: 'admin', params: IdParams, response: Tag },
    ({ workspaceId, params, actor }) => archiveTag(db, workspaceId, params.id, actor));
  defineRoute(app, { method: 'POST', url: '/api/v1/tags/:id/merge', summary: 'Merge a tag into another (manual) tag, keeping both histories', tags, auth: 'admin', params: IdParams,
    body: z.object({ targetId: z.string().min(1) }), response: Tag },
    ({ workspaceId, params, body, actor }) => mergeTag(db, workspaceId, params.id, body.targetId, actor));
  defineRoute(app, { method: 'POST', url: '/api/v1/tags/:id/recompute', summary: 'Recompute a rule tag and what depends on it now', tags, auth: 'admin', params: IdParams, response: Tag },
    async ({ workspaceId, params }) => {
      await hooks.afterRuleChange(workspaceId, params.id);
      return getTag(db, workspaceId, params.id);
    });

  defineRoute(app, { method: 'POST', url: '/api/v1/tags/:id/apply', summary: 'Apply a manual tag (optionally with a value) to profiles', tags, auth: 'admin', params: IdParams, body: ApplyTagInput,
    response: z.object({ applied: z.number() }) },
    ({ workspaceId, params, body, actor }) => applyTag(db, workspaceId, params.id, body.profileIds, { value: body.value, source: body.source, actor }));
  defineRoute(app, { method: 'POST', url: '/api/v1/tags/:id/remove', summary: 'Remove a manual tag from profiles', tags, auth: 'admin', params: IdParams,
    body: z.object({ profileIds: z.array(z.number().int().positive()).min(1).max(10_000), source: TagSource.optional() }), response: z.object({ removed: z.number() }) },
    ({ workspaceId, params, body, actor }) => removeTag(db, workspaceId, params.id, body.profileIds, { source: body.source, actor }));
  defineRoute(app, { method: 'POST', url: '/api/v1/tags/:id/import', summary: 'Bulk tag from CSV: a profile_id or identifier-type column, optional value and action (remove) columns', tags, auth: 'admin',
    params: IdParams, body: z.object({ csv: z.string().min(1).max(20_000_000) }), bodyLimit: 25 * 1024 * 1024,
    response: z.object({ applied: z.number(), removed: z.number(), unmatched: z.array(z.object({ line: z.number(), key: z.string() })) }) },
    ({ workspaceId, params, body, actor }) => importTagCsv(db, workspaceId, params.id, body.csv, { actor }));
  defineRoute(app, { method: 'GET', url: '/api/v1/tags/:id/history', summary: 'Who got or lost a tag, when and why (includes tags merged into it)', tags, auth: 'admin', params: IdParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }), response: z.object({ data: z.array(TagHistoryEntry) }) },
    async ({ workspaceId, params, query }) => ({ data: await tagHistory(db, workspaceId, { tagId: params.id, limit: query.limit }) }));

  defineRoute(app, { method: 'GET', url: '/api/v1/profiles/:id/tags', summary: 'A profile\'s tags and tag history', tags, auth: 'admin', params: ProfileParams,
    response: z.object({ tags: z.array(ProfileTag), history: z.array(TagHistoryEntry) }) },
    async ({ workspaceId, params }) => ({
      tags: await profileTags(db, workspaceId, params.id),
      history: await tagHistory(db, workspaceId, { profileId: params.id }),
    }));

  // The same report as a GET (`refs=tag:ID,segment:ID`), so read-only roles (analysts) can open it.
  defineRoute(app, { method: 'GET', url: '/api/v1/overlap', summary: 'Sizes and pairwise overlap (Jaccard); `refs` lists kind:id pairs, comma-separated', tags: ['Tags', 'Segments'], auth: 'admin',
    query: z.object({ refs: OverlapRefList }), response: OverlapReport },
    ({ workspaceId, query }) => overlapReport(db, workspaceId, query.refs));
  defineRoute(app, { method: 'POST', url: '/api/v1/overlap', summary: 'Sizes and pairwise overlap (Jaccard) of tags and segments', tags: ['Tags', 'Segments'], auth: 'admin',
    body: z.object({ groups: z.array(OverlapRef).min(2).max(50) }), response: OverlapReport },
    ({ workspaceId, body }) => overlapReport(db, workspaceId, body.groups));
}
