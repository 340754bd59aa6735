import { expect, it } from 'vitest';
import { processProfileChanges, createSegment } from '../../src/modules/segments/index.js';
import {
  applyTag,
  archiveTag,
  createTag,
  createTagGroup,
  getTag,
  importTagCsv,
  listTags,
  mergeTag,
  overlapReport,
  profileTags,
  removeTag,
  tagHistory,
  updateTag,
} from '../../src/modules/tags/index.js';
import { runProfileRemapHandlers } from '../../src/platform/hooks.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { addEvents, addOrders, newTestWorkspace, seedProfile } from '../rules/seed.js';

const T0 = new Date('2025-06-15T12:00:00.000Z');
const DAY = 86_400_000;

describeEachDatabase('tags', (ctx) => {
  it('applies and removes manual tags with values, recording each change with cause and actor', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const group = await createTagGroup(db, ws.id, { name: 'Preference', category: 'preference' });
    const tag = await createTag(db, ws.id, { groupId: group.id, name: 'preferred_category' });
    const [p1, p2] = [await seedProfile(db, ws.id), await seedProfile(db, ws.id)];

    expect(await applyTag(db, ws.id, tag.id, [p1, p2], { value: 'skincare', actor: 'user:ann' })).toEqual({ applied: 2 });
    expect(await applyTag(db, ws.id, tag.id, [p1], { value: 'skincare', actor: 'user:ann' })).toEqual({ applied: 0 });
    expect(await applyTag(db, ws.id, tag.id, [p1], { value: 'makeup', actor: 'user:bob' })).toEqual({ applied: 1 });
    expect(await removeTag(db, ws.id, tag.id, [p2], { actor: 'user:ann' })).toEqual({ removed: 1 });

    expect((await profileTags(db, ws.id, p1)).map((t) => [t.tagName, t.value])).toEqual([['preferred_category', 'makeup']]);
    expect(await profileTags(db, ws.id, p2)).toEqual([]);
    const history = await tagHistory(db, ws.id, { profileId: p1 });
    expect(history.map((h) => [h.action, h.value, h.cause, h.actor])).toEqual([
      ['apply', 'makeup', 'manual', 'user:bob'],
      ['apply', 'skincare', 'manual', 'user:ann'],
    ]);
    expect((await tagHistory(db, ws.id, { profileId: p2 })).map((h) => h.action)).toEqual(['remove', 'apply']);
    expect((await getTag(db, ws.id, tag.id)).size).toBe(1);
    await expect(applyTag(db, ws.id, tag.id, [999_999_999], { actor: 'x' })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('tags in bulk from CSV by identifier, with values and removals, reporting unmatched lines', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const group = await createTagGroup(db, ws.id, { name: 'Basic', category: 'basic' });
    const tag = await createTag(db, ws.id, { groupId: group.id, name: 'vip_level' });
    const a = await seedProfile(db, ws.id, { identifiers: [{ type: 'phone', value: '+8613800000001' }] });
    const b = await seedProfile(db, ws.id, { identifiers: [{ type: 'phone', value: '+8613800000002' }] });
    const csv = 'phone,value\n+8613800000001,gold\n+8613800000002,silver\n+8613899999999,gold\n';
    expect(await importTagCsv(db, ws.id, tag.id, csv, { actor: 'user:ann' })).toEqual({ applied: 2, removed: 0, unmatched: [{ line: 4, key: '+8613899999999' }] });
    expect((await profileTags(db, ws.id, b))[0]).toMatchObject({ value: 'silver', source: 'import' });
    const removal = await importTagCsv(db, ws.id, tag.id, `profile_id,action\n${a},remove\n`, { actor: 'user:ann' });
    expect(removal).toMatchObject({ applied: 0, removed: 1 });
    expect((await tagHistory(db, ws.id, { profileId: a })).map((h) => [h.action, h.cause])).toEqual([['remove', 'import'], ['apply', 'import']]);
  });

  it('renames, merges and archives tags without losing history', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const group = await createTagGroup(db, ws.id, { name: 'Social', category: 'social' });
    const kol = await createTag(db, ws.id, { groupId: group.id, name: 'KOL' });
    const influencer = await createTag(db, ws.id, { groupId: group.id, name: 'influencer' });
    const [p1, p2] = [await seedProfile(db, ws.id), await seedProfile(db, ws.id)];
    await applyTag(db, ws.id, kol.id, [p1, p2], { actor: 'user:ann' });
    await applyTag(db, ws.id, influencer.id, [p2], { actor: 'user:ann' });

    const renamed = await updateTag(db, ws.id, kol.id, { name: 'key opinion leader' });
    expect(renamed.name).toBe('key opinion leader');
    const merged = await mergeTag(db, ws.id, kol.id, influencer.id, 'user:bob');
    expect(merged.mergedInto).toBe(influencer.id);
    expect((await getTag(db, ws.id, influencer.id)).size).toBe(2);
    expect((await listTags(db, ws.id)).map((t) => t.id)).toEqual([influencer.id]);
    // The target's history includes the merged tag's, under its (new) name.
    const history = await tagHistory(db, ws.id, { tagId: influencer.id });
    expect(history.filter((h) => h.tagId === kol.id && h.action === 'apply')).toHaveLength(2);
    expect(history.find((h) => h.tagId === kol.id)?.tagName).toBe('key opinion leader');

    const archived = await archiveTag(db, ws.id, influencer.id, 'user:bob');
    expect(archived.archivedAt).not.toBeNull();
    expect(archived.size).toBe(0);
    expect((await tagHistory(db, ws.id, { profileId: p1 })).map((h) => [h.tagId, h.action, h.cause])).toEqual([
      [influencer.id, 'remove', 'archive'],
      [kol.id, 'remove', 'merge'],
      [influencer.id, 'apply', 'merge'],
      [kol.id, 'apply', 'manual'],
    ]);
    await expect(applyTag(db, ws.id, influencer.id, [p1], { actor: 'x' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('keeps a rule tag current in real time and on rule change, with history caused by the rule', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const group = await createTagGroup(db, ws.id, { name: 'Activity', category: 'activity' });
    const p = await seedProfile(db, ws.id);
    const tag = await createTag(db, ws.id, {
      groupId: group.id,
      name: 'active_7d',
      rule: { version: 1, condition: { kind: 'event', event: 'App Opened', window: { type: 'last_days', days: 7 } } },
    }, T0);
    expect((await getTag(db, ws.id, tag.id)).size).toBe(0);
    await addEvents(db, ws.id, p, [{ event: 'App Opened', timestamp: new Date(T0.getTime() - DAY) }]);
    await processProfileChanges(db, ws.id, { now: T0 });
    expect((await profileTags(db, ws.id, p)).map((t) => [t.tagId, t.source])).toEqual([[tag.id, 'rule']]);
    // Rule changed: a full recompute drops the profile.
    await updateTag(db, ws.id, tag.id, { rule: { version: 1, condition: { kind: 'event', event: 'App Opened', count: { op: 'gte', value: 2 } } } }, T0);
    expect(await profileTags(db, ws.id, p)).toEqual([]);
    expect((await tagHistory(db, ws.id, { profileId: p })).map((h) => [h.action, h.cause])).toEqual([['remove', 'rule'], ['apply', 'rule']]);
    await expect(applyTag(db, ws.id, tag.id, [p], { actor: 'x' })).rejects.toMatchObject({ code: 'conflict' });
  });

  it('reports sizes and pairwise Jaccard overlap of tags and segments', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const group = await createTagGroup(db, ws.id, { name: 'c', category: 'custom' });
    const [t1, t2] = [await createTag(db, ws.id, { groupId: group.id, name: 't1' }), await createTag(db, ws.id, { groupId: group.id, name: 't2' })];
    const ps = [];
    for (let i = 0; i < 4; i++) ps.push(await seedProfile(db, ws.id, { traits: { n: i } }));
    await applyTag(db, ws.id, t1.id, [ps[0]!, ps[1]!, ps[2]!], { actor: 'x' });
    await applyTag(db, ws.id, t2.id, [ps[2]!, ps[3]!], { actor: 'x' });
    const seg = await createSegment(db, ws.id, { name: 'n≥2', rule: { version: 1, condition: { kind: 'trait', trait: 'n', type: 'number', op: 'gte', value: 2 } } });
    const report = await overlapReport(db, ws.id, [{ kind: 'tag', id: t1.id }, { kind: 'tag', id: t2.id }, { kind: 'segment', id: seg.id }]);
    expect(report.sizes.map((s) => s.size)).toEqual([3, 2, 2]);
    expect(report.pairs.map((p) => [p.intersection, p.union, p.jaccard])).toEqual([
      [1, 4, 0.25],
      [1, 4, 0.25],
      [2, 2, 1],
    ]);
  });

  it('follows merges and unmerges: a merged profile has both histories, an unmerge splits them back', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const group = await createTagGroup(db, ws.id, { name: 'c', category: 'custom' });
    const manual = await createTag(db, ws.id, { groupId: group.id, name: 'met_at_store' });
    const a = await seedProfile(db, ws.id, { events: [{ event: 'Product Viewed', timestamp: new Date(T0.getTime() - DAY) }] });
    const b = await seedProfile(db, ws.id, { orders: [{ paid: 99, orderedAt: new Date(T0.getTime() - DAY) }] });
    await applyTag(db, ws.id, manual.id, [b], { actor: 'user:guide' });
    const both = await createSegment(db, ws.id, {
      name: 'viewed and bought',
      rule: { version: 1, condition: { kind: 'and', conditions: [{ kind: 'event', event: 'Product Viewed' }, { kind: 'order', measure: 'count', op: 'gte', value: 1 }] } },
    }, T0);
    const ruleTag = await createTag(db, ws.id, { groupId: group.id, name: 'buyer', rule: { version: 1, condition: { kind: 'order', measure: 'count', op: 'gte', value: 1 } } }, T0);
    expect(await segmentMembers(db, ws.id, both.id)).toEqual([]);

    await reshape(db, ws.id, { absorbed: b, into: a });
    await processProfileChanges(db, ws.id, { now: T0 });
    expect(await segmentMembers(db, ws.id, both.id)).toEqual([a]);
    expect((await profileTags(db, ws.id, a)).map((t) => t.tagId).sort()).toEqual([manual.id, ruleTag.id].sort());
    expect((await tagHistory(db, ws.id, { profileId: a })).some((h) => h.originProfileId === b && h.tagId === manual.id)).toBe(true);

    await reshape(db, ws.id, { absorbed: b, into: a, undo: true });
    await processProfileChanges(db, ws.id, { now: T0 });
    expect(await segmentMembers(db, ws.id, both.id)).toEqual([]);
    expect((await profileTags(db, ws.id, a)).map((t) => t.tagId)).toEqual([]);
    expect((await profileTags(db, ws.id, b)).map((t) => t.tagId).sort()).toEqual([manual.id, ruleTag.id].sort());
    // Entering and leaving were recorded as events.
    const events = await db.selectFrom('events').select(['event', 'profile_id']).where('workspace_id', '=', ws.id).where('event', 'like', 'Segment %').execute();
    expect(events.map((e) => e.event).sort()).toEqual(['Segment Entered', 'Segment Exited']);
    void addOrders;
  });
});

/** What the identity module does on merge / unmerge: redirect, move events and orders, run remap handlers. */
async function reshape(db: Db, workspaceId: string, opts: { absorbed: number; into: number; undo?: boolean }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const owner = opts.undo ? opts.absorbed : opts.into;
    await trx.updateTable('profiles').set({ merged_into: opts.undo ? null : opts.into }).where('workspace_id', '=', workspaceId).where('id', '=', opts.absorbed).execute();
    await trx.updateTable('identifiers').set({ profile_id: owner }).where('workspace_id', '=', workspaceId).where('origin_profile_id', '=', opts.absorbed).execute();
    const ids = (await trx.selectFrom('identifiers').select('id').where('workspace_id', '=', workspaceId).where('origin_profile_id', '=', opts.absorbed).execute()).map((r) => r.id);
    await trx.updateTable('events').set({ profile_id: owner }).where('workspace_id', '=', workspaceId).where('identifier_id', 'in', ids).execute();
    await trx.updateTable('orders').set({ profile_id: owner }).where('workspace_id', '=', workspaceId).where('identifier_id', 'in', ids).execute();
    await runProfileRemapHandlers(trx, workspaceId, [{ from: opts.absorbed, to: owner }]);
  });
}

async function segmentMembers(db: Db, workspaceId: string, segmentId: string): Promise<number[]> {
  const rows = await db.selectFrom('segment_members').select('profile_id').distinct().where('workspace_id', '=', workspaceId).where('segment_id', '=', segmentId).execute();
  return rows.map((r) => r.profile_id).sort((x, y) => x - y);
}
