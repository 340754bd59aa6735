import { expect, it } from 'vitest';
import { applyTag, createTag, createTagGroup, mergeTag, removeTag, tagHistory } from '../../src/modules/tags/index.js';
import { describeEachDatabase } from '../support/databases.js';
import { newTestWorkspace, seedProfile } from '../rules/seed.js';

const T0 = new Date('2025-06-15T12:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

// A tag's history is read per tag, the tags merged into it included (tags/assign.ts, migration 0128): the page must
// still hold the latest entries of all of them, newest first, and nothing of other tags.
describeEachDatabase('tag history page', (ctx) => {
  it("lists a tag's latest changes with those of the tags merged into it, newest first, limited", async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const group = await createTagGroup(db, ws.id, { name: 'History', category: 'custom' });
    const [target, merged, other] = [
      await createTag(db, ws.id, { groupId: group.id, name: 'target' }),
      await createTag(db, ws.id, { groupId: group.id, name: 'merged' }),
      await createTag(db, ws.id, { groupId: group.id, name: 'other' }),
    ];
    const [p1, p2, p3, p4] = [await seedProfile(db, ws.id), await seedProfile(db, ws.id), await seedProfile(db, ws.id), await seedProfile(db, ws.id)];
    await applyTag(db, ws.id, target.id, [p1], { actor: 'user:a', now: at(1) });
    await applyTag(db, ws.id, merged.id, [p2], { actor: 'user:a', now: at(2) });
    await applyTag(db, ws.id, other.id, [p3], { actor: 'user:a', now: at(3) });
    await applyTag(db, ws.id, target.id, [p4], { actor: 'user:a', now: at(4) });
    await removeTag(db, ws.id, target.id, [p1], { actor: 'user:a', now: at(5) });
    await applyTag(db, ws.id, other.id, [p1], { actor: 'user:a', now: at(6) });
    await mergeTag(db, ws.id, merged.id, target.id, 'user:b', at(7));

    const entries = (await tagHistory(db, ws.id, { tagId: target.id })).map((h) => [h.tagName, h.action, h.profileId, h.at.toISOString()]);
    expect(entries).toEqual([
      // The merge's two entries share its time: the later written (the source's removal) first.
      ['merged', 'remove', p2, at(7).toISOString()],
      ['target', 'apply', p2, at(7).toISOString()],
      ['target', 'remove', p1, at(5).toISOString()],
      ['target', 'apply', p4, at(4).toISOString()],
      ['merged', 'apply', p2, at(2).toISOString()],
      ['target', 'apply', p1, at(1).toISOString()],
    ]);
    expect((await tagHistory(db, ws.id, { tagId: target.id, limit: 3 })).map((h) => [h.tagName, h.action, h.profileId])).toEqual([
      ['merged', 'remove', p2],
      ['target', 'apply', p2],
      ['target', 'remove', p1],
    ]);
    // The merged tag's own history stays its own; another tag's is untouched.
    expect((await tagHistory(db, ws.id, { tagId: merged.id })).map((h) => [h.action, h.profileId])).toEqual([['remove', p2], ['apply', p2]]);
    expect((await tagHistory(db, ws.id, { tagId: other.id })).map((h) => [h.action, h.profileId])).toEqual([['apply', p1], ['apply', p3]]);
    // A profile's history is read as before.
    expect((await tagHistory(db, ws.id, { profileId: p1 })).map((h) => [h.tagName, h.action])).toEqual([['other', 'apply'], ['target', 'remove'], ['target', 'apply']]);
  });
});
