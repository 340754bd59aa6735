import { expect, it } from 'vitest';
import { DEFAULT_SETTINGS, refreshStages } from '../../src/modules/lifecycle/index.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { newTestWorkspace, seedProfile, type SeedEvent, type SeedOrder } from '../rules/seed.js';

const T0 = new Date('2025-06-15T12:00:00.000Z');
const DAY = 86_400_000;
const WINDOW = DEFAULT_SETTINGS.aipl.windowDays;
const LEVEL: Record<string, number> = { 'Ad Impression': 1, 'Product Viewed': 2, 'Product Added': 2, 'Order Completed': 3, 'Product Reviewed': 4 };
const STAGE = ['', 'A', 'I', 'P', 'L'];

function random(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The stage by the definition: the highest level of an event or of the counted orders (2+ is L) in the window. */
function expectedStage(events: SeedEvent[], orders: SeedOrder[], now: Date): string | null {
  const inWindow = (t: Date) => t.getTime() >= now.getTime() - WINDOW * DAY && t.getTime() <= now.getTime();
  let level = Math.max(0, ...events.filter((e) => inWindow(e.timestamp)).map((e) => LEVEL[e.event] ?? 0));
  const counted = orders.filter((o) => ['paid', 'partially_refunded'].includes(o.status ?? 'paid') && inWindow(o.orderedAt)).length;
  if (counted > 0) level = Math.max(level, counted >= DEFAULT_SETTINGS.aipl.repurchaseOrders ? 4 : 3);
  return level ? STAGE[level]! : null;
}

async function stored(db: Db, workspaceId: string): Promise<Map<number, string>> {
  const rows = await db.selectFrom('profile_lifecycle').select(['profile_id', 'stage']).where('workspace_id', '=', workspaceId).execute();
  return new Map(rows.map((r) => [r.profile_id, r.stage]));
}

describeEachDatabase('AIPL for a whole workspace', (ctx) => {
  it('places, raises and lapses stages as defined, agrees with the per-profile path, and leaves merged profiles alone', async () => {
    const { db } = ctx.database;
    const ws = await newTestWorkspace(ctx.database);
    const next = random(4242);
    const pick = <T,>(values: readonly T[]) => values[Math.floor(next() * values.length)]!;
    const seeds = new Map<number, { events: SeedEvent[]; orders: SeedOrder[] }>();
    for (let i = 0; i < 40; i++) {
      // Ages around both evaluation times' window edges; some names map to no stage; some orders do not count.
      const age = () => pick([0, 1, 10, 60, 89, 91, 120, 200, -20]) * DAY;
      const events = Array.from({ length: Math.floor(next() * 3) }, () => ({
        event: pick(['Ad Impression', 'Product Viewed', 'Product Added', 'Product Reviewed', 'Login']),
        timestamp: new Date(T0.getTime() - age()),
      }));
      const orders = Array.from({ length: Math.floor(next() * 3) }, () => ({
        paid: 10,
        status: pick(['paid', 'paid', 'refunded', 'pending'] as const),
        orderedAt: new Date(T0.getTime() - age()),
      }));
      seeds.set(await seedProfile(db, ws.id, { events, orders }), { events, orders });
    }
    const ids = [...seeds.keys()];
    const expectAt = (now: Date, except: number[] = []) =>
      new Map(
        [...seeds]
          .filter(([id]) => !except.includes(id))
          .flatMap(([id, s]) => {
            const stage = expectedStage(s.events, s.orders, now);
            return stage ? [[id, stage] as const] : [];
          }),
      );

    // First run: every stage placed, one history row each.
    const first = await refreshStages(db, ws.id, T0);
    const placed = expectAt(T0);
    expect(placed.size).toBeGreaterThan(10);
    expect(first).toEqual({ changed: placed.size });
    expect(await stored(db, ws.id)).toEqual(placed);
    expect(await refreshStages(db, ws.id, T0)).toEqual({ changed: 0 });
    expect(await refreshStages(db, ws.id, T0, ids)).toEqual({ changed: 0 }); // the per-profile path agrees

    // A merged profile keeps its stored row (the merge itself removes it); its data no longer counts.
    const mergedId = [...placed.keys()][0]!;
    await db.updateTable('profiles').set({ merged_into: ids.find((id) => id !== mergedId)! }).where('workspace_id', '=', ws.id).where('id', '=', mergedId).execute();

    // 30 days later: windows lapsed for some (rows go), later events raise others (the -20 day ones arrive).
    const t1 = new Date(T0.getTime() + 30 * DAY);
    const later = expectAt(t1, [mergedId]);
    const diff = new Set([...ids].filter((id) => id !== mergedId && later.get(id) !== placed.get(id)));
    expect(diff.size).toBeGreaterThan(3);
    expect([...diff].some((id) => !later.has(id))).toBe(true); // at least one lapse to no stage
    expect(await refreshStages(db, ws.id, t1)).toEqual({ changed: diff.size });
    expect(await stored(db, ws.id)).toEqual(new Map([...later, [mergedId, placed.get(mergedId)!]]));
    expect(await refreshStages(db, ws.id, t1, ids.filter((id) => id !== mergedId))).toEqual({ changed: 0 });

    // Every change has its history row, and each profile's last one ends at its current stage.
    const history = await db
      .selectFrom('lifecycle_history')
      .select(['profile_id', 'from_stage', 'to_stage', 'at'])
      .where('workspace_id', '=', ws.id)
      .orderBy('id')
      .execute();
    expect(history.filter((h) => h.at.getTime() === t1.getTime())).toHaveLength(diff.size);
    for (const id of diff) {
      const last = history.filter((h) => h.profile_id === id).at(-1)!;
      expect([last.from_stage, last.to_stage]).toEqual([placed.get(id) ?? null, later.get(id) ?? null]);
    }
  });
});
