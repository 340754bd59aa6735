import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import { createJourney, drainJourneys, enterManually, publishJourney } from '../journeys/index.js';

const DAY_MS = 86_400_000;
const boughtWithin = (days: number) => ({ rule: { condition: { kind: 'order', measure: 'count', op: 'gte', value: 1, window: { type: 'last_days', days } } } });

/**
 * Two journeys the demo brand has been running, with people who entered weeks ago and what the journey engine made
 * of them since: each person waits, and at the end of the wait the goal (an order since) is checked by the engine at
 * that past moment, over the demo's real orders. No messages (the demo has no channel): the conversions are real.
 * A few hundred people each: the engine's passes cost seconds (~15 s in all on a busy machine, PostgreSQL or embedded).
 */
export async function loadDemoJourneys(db: Db, workspaceId: string, now: Date, publicUrl = 'http://127.0.0.1:3000'): Promise<void> {
  const plans = [
    {
      name: '沉睡会员唤回',
      enteredDaysAgo: 24,
      waitDays: 14,
      // Bought before, but not in the 60 days before entering.
      who: (at: Date) => sql<{ id: number }>`SELECT profile_id AS id FROM orders WHERE workspace_id = ${workspaceId} AND profile_id IS NOT NULL AND ordered_at <= ${at}
        GROUP BY profile_id HAVING max(ordered_at) < ${new Date(at.getTime() - 60 * DAY_MS)} ORDER BY profile_id LIMIT 300`,
    },
    {
      name: '新会员首单引导',
      enteredDaysAgo: 20,
      waitDays: 7,
      // First seen in the week before entering, no order yet.
      who: (at: Date) => sql<{ id: number }>`SELECT e.profile_id AS id FROM events e WHERE e.workspace_id = ${workspaceId} AND e.profile_id IS NOT NULL AND e."timestamp" <= ${at}
        GROUP BY e.profile_id HAVING min(e."timestamp") > ${new Date(at.getTime() - 7 * DAY_MS)}
          AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.workspace_id = ${workspaceId} AND o.profile_id = e.profile_id AND o.ordered_at <= ${at})
        ORDER BY e.profile_id LIMIT 300`,
    },
  ];
  for (const plan of plans) {
    const definition = {
      trigger: { type: 'manual' },
      start: 'wait',
      nodes: [{ id: 'wait', type: 'wait', duration: { days: plan.waitDays } }, { id: 'done', type: 'exit' }],
      edges: [{ from: 'wait', to: 'done' }],
      policies: { goal: boughtWithin(plan.waitDays) },
    };
    const layout = { trigger: { x: 40, y: 30 }, wait: { x: 40, y: 200 }, done: { x: 40, y: 370 } };
    const journey = await createJourney(db, workspaceId, { name: plan.name, definition, layout });
    await publishJourney(db, workspaceId, journey.id);
    const at = new Date(now.getTime() - plan.enteredDaysAgo * DAY_MS);
    const people = (await plan.who(at).execute(db)).rows.map((r) => Number(r.id));
    if (people.length === 0) continue;
    await enterManually(db, workspaceId, journey.id, people, 'demo', at);
    // The engine's clock at entry, then when the wait ends: the goal is checked then, against the orders up to then.
    for (const clock of [at, new Date(at.getTime() + plan.waitDays * DAY_MS)]) {
      await drainJourneys(db, { publicUrl, now: () => clock, leaseMs: 60_000, workspaceId });
    }
  }
}
