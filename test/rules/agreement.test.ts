import fc from 'fast-check';
import { expect, it } from 'vitest';
import {
  compileRule,
  evalContext,
  evaluate,
  eventHorizon,
  eventNamesOf,
  loadProfileStates,
  parseRule,
  semanticIssues,
  type Condition,
} from '../../src/modules/rules/index.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { conditionArb, NOW, profileArb } from './arbitraries.js';
import { newTestWorkspace, seedProfile } from './seed.js';

/** The real-time evaluator (JS over one profile's rows) and the batch one (SQL over the workspace) must agree. */
describeEachDatabase('rule evaluators agree', (ctx) => {
  it('gives the same members for random profiles, events, orders and rules', async () => {
    const evalCtx = evalContext(NOW, 'Asia/Shanghai');
    await fc.assert(
      fc.asyncProperty(fc.array(profileArb, { minLength: 1, maxLength: 6 }), fc.array(conditionArb, { minLength: 8, maxLength: 8 }), async (profiles, conditions) => {
        const db = ctx.database.db;
        const ws = await newTestWorkspace(ctx.database);
        await seedReferences(db, ws.id);
        const ids: number[] = [];
        for (const p of profiles) {
          const id = await seedProfile(db, ws.id, p);
          ids.push(id);
          await seedDerivedState(db, ws.id, id, p);
        }
        const states = await loadProfileStates(db, ws.id, ids, eventNamesOf(conditions), NOW);
        // As the real-time pass loads them: only the events any rule's window can reach.
        const sliced = await loadProfileStates(db, ws.id, ids, eventNamesOf(conditions), NOW, eventHorizon(conditions, NOW));
        for (const condition of conditions) {
          // Every generated rule is valid: the schema and the semantic checks accept it.
          const rule = parseRule(JSON.parse(JSON.stringify({ version: 1, condition })));
          expect(semanticIssues(rule.condition)).toEqual([]);
          const batch = (await compileRule(condition, ws.id, evalCtx).execute(db)).rows.map((r) => r.profile_id).sort((a, b) => a - b);
          const realtime = ids.filter((id) => evaluate(condition as Condition, states.get(id)!, evalCtx));
          expect(realtime, JSON.stringify(condition)).toEqual(batch);
          expect(ids.filter((id) => evaluate(condition as Condition, sliced.get(id)!, evalCtx)), `sliced ${JSON.stringify(condition)}`).toEqual(batch);
        }
      }),
      { numRuns: ctx.kind === 'pglite' ? 15 : 25 },
    );
  }, 120_000);
});

async function seedReferences(db: Db, workspaceId: string): Promise<void> {
  await db.insertInto('tag_groups').values({ workspace_id: workspaceId, id: 'grp', name: 'g', category: 'custom' }).execute();
  await db
    .insertInto('tags')
    .values([
      { workspace_id: workspaceId, id: 'tag_a', group_id: 'grp', name: 'a', kind: 'manual' },
      { workspace_id: workspaceId, id: 'tag_b', group_id: 'grp', name: 'b', kind: 'manual' },
    ])
    .execute();
  await db.insertInto('segments').values({ workspace_id: workspaceId, id: 'seg_a', name: 's', kind: 'static' }).execute();
}

async function seedDerivedState(
  db: Db,
  workspaceId: string,
  profileId: number,
  p: { tags: Array<[string, string]>; segment: boolean; stage: string | null; rfm: string | null },
): Promise<void> {
  for (const [tag, value] of p.tags) {
    await db.insertInto('tag_assignments').values({ workspace_id: workspaceId, tag_id: tag, profile_id: profileId, origin_profile_id: profileId, value, source: 'manual' }).execute();
  }
  if (p.segment) {
    await db.insertInto('segment_members').values({ workspace_id: workspaceId, segment_id: 'seg_a', profile_id: profileId, origin_profile_id: profileId }).execute();
  }
  if (p.stage) {
    await db.insertInto('profile_lifecycle').values({ workspace_id: workspaceId, profile_id: profileId, stage: p.stage as 'A', since: NOW }).execute();
  }
  if (p.rfm) {
    await db
      .insertInto('profile_rfm')
      .values({ workspace_id: workspaceId, profile_id: profileId, recency_days: 1, frequency: 1, monetary: 1, r_score: 3, f_score: 3, m_score: 3, class8: p.rfm, computed_at: NOW })
      .execute();
  }
}
