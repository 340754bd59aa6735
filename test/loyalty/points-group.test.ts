import { expect, it } from 'vitest';
import fc from 'fast-check';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { adjustPoints, earnPoints, getMember, bindMemberCard, redeemPoints, reversePoints, setTiers, updateLoyaltySettings, type LedgerResult } from '../../src/modules/loyalty/index.js';
import { pointsFlushStats } from '../../src/modules/loyalty/points-batch.js';
import type { Db } from '../../src/platform/db/database.js';
import { expectLedgerConsistent, newProfileId } from './helpers.js';

const DAY = 86_400_000;
const far = () => new Date(Date.now() + 400 * DAY); // nothing expires while the test runs

type Kind = 'earn' | 'redeem' | 'adjust' | 'reverse';
interface Op {
  profile: number;
  kind: Kind;
  points: number;
  key: number | null;
}

function call(db: Db, ws: string, profileId: number, op: Op): Promise<LedgerResult> {
  const req = { profileId, points: op.points, reason: op.kind, idempotencyKey: op.key === null ? null : `k${op.key}`, expiresAt: far() };
  if (op.kind === 'earn') return earnPoints(db, ws, req);
  if (op.kind === 'redeem') return redeemPoints(db, ws, req);
  if (op.kind === 'reverse') return reversePoints(db, ws, { ...req, sourceType: 'order', sourceId: 'o1' });
  return adjustPoints(db, ws, req);
}

/**
 * Fires every operation at once (they are group-committed together) and checks each caller's outcome and the
 * ledger: applied operations of one profile form one chain of balances in entry order (one after the other, none
 * lost or twice), a key applies once (every holder of it sees the same entry), refusals are only the two business
 * ones and never fail the others.
 */
async function fireAndCheck(db: Db, ws: string, ops: Op[], profiles: number[]) {
  const settled = await Promise.allSettled(ops.map((op) => call(db, ws, profiles[op.profile]!, op)));
  const byKey = new Map<number, Array<{ op: Op; r: LedgerResult }>>();
  const applied = new Map<number, LedgerResult[]>();
  let refused = 0;
  for (const [i, s] of settled.entries()) {
    const op = ops[i]!;
    if (s.status === 'rejected') {
      const code = (s.reason as { code?: string }).code;
      if (code === 'insufficient_points') expect(op.kind === 'redeem' || (op.kind === 'adjust' && op.points < 0)).toBe(true);
      else expect(code, String(s.reason)).toBe('conflict');
      if (code === 'conflict') expect(op.key).not.toBeNull();
      refused += 1;
      continue;
    }
    if (op.key !== null) byKey.set(op.key, [...(byKey.get(op.key) ?? []), { op, r: s.value }]);
    if (!s.value.replayed) applied.set(op.profile, [...(applied.get(op.profile) ?? []), s.value]);
  }
  for (const holders of byKey.values()) {
    expect(new Set(holders.map((h) => h.r.entryId)).size).toBe(1);
    expect(new Set(holders.map((h) => h.op.profile)).size).toBe(1);
    expect(holders.filter((h) => !h.r.replayed).length).toBeLessThanOrEqual(1);
  }
  for (const [profile, results] of applied) {
    results.sort((a, b) => a.entryId! - b.entryId!);
    let balance = 0;
    for (const r of results) {
      balance += r.points;
      expect(r.balance).toBe(balance);
    }
    expect((await expectLedgerConsistent(db, ws, profiles[profile]!)).balance).toBe(balance);
  }
  return { refused, applied: [...applied.values()].reduce((n, rs) => n + rs.length, 0) };
}

describeEachDatabase('loyalty points group commit', (ctx) => {
  it('concurrent mixed operations: each caller gets its own outcome, balances are the ledger', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const profiles = [newProfileId(), newProfileId(), newProfileId(), newProfileId()];
    const before = { ...pointsFlushStats };
    const ops: Op[] = [
      { profile: 0, kind: 'earn', points: 50, key: 1 },
      { profile: 0, kind: 'redeem', points: 30, key: 2 },
      { profile: 0, kind: 'redeem', points: 30, key: 2 }, // replay of the one before
      { profile: 1, kind: 'redeem', points: 5, key: 3 }, // nothing to spend yet: refused
      { profile: 1, kind: 'earn', points: 20, key: 3 }, // the refused key is free: applies
      { profile: 3, kind: 'earn', points: 10, key: 6 },
      { profile: 2, kind: 'earn', points: 10, key: 6 }, // the key of profile 3: one of the two gets a conflict
      { profile: 0, kind: 'adjust', points: -100, key: null }, // beyond the balance: refused
      { profile: 2, kind: 'reverse', points: 15, key: 4 }, // debt
      { profile: 2, kind: 'earn', points: 40, key: 5 }, // pays the debt first
      ...Array.from({ length: 40 }, (_, i): Op => ({ profile: i % 3, kind: i % 2 ? 'redeem' : 'earn', points: 1 + (i % 7), key: 100 + i })),
      ...Array.from({ length: 20 }, (): Op => ({ profile: 1, kind: 'redeem', points: 3, key: null })),
    ];
    const outcome = await fireAndCheck(db, ws.id, ops, profiles);
    expect(pointsFlushStats.largest).toBeGreaterThan(1);
    expect(pointsFlushStats.flushes - before.flushes).toBeLessThan(ops.length);
    expect(outcome.refused).toBeGreaterThanOrEqual(3); // 5 with nothing, −100 beyond 20, one of the two key-6 earns
    // Calls apply in the order made: the named cases, caller by caller, replayed.
    const again: Op[] = [...ops.slice(0, 5), { profile: 2, kind: 'earn', points: 10, key: 1 }];
    const [earn0, redeem0, replay0, refused1, earn1, conflict2] = await Promise.allSettled(again.map((op) => call(db, ws.id, profiles[op.profile]!, op)));
    expect(earn0).toMatchObject({ status: 'fulfilled', value: { replayed: true } });
    expect(redeem0).toMatchObject({ status: 'fulfilled', value: { replayed: true, points: -30 } });
    expect(replay0).toMatchObject({ status: 'fulfilled', value: { replayed: true } });
    expect(refused1).toMatchObject({ status: 'fulfilled', value: { replayed: true, points: 20 } }); // k3 now belongs to the earn
    expect(earn1).toMatchObject({ status: 'fulfilled', value: { replayed: true, points: 20 } });
    expect(conflict2).toMatchObject({ status: 'rejected', reason: { code: 'conflict' } });
    const debtor = await expectLedgerConsistent(db, ws.id, profiles[2]!);
    expect(debtor.debt).toBe(0);
  }, 120_000);

  it('a combined statement that fails is retried one by one: the bad operation fails alone', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    const p = newProfileId();
    const before = pointsFlushStats.fallbacks;
    const results = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, i) => earnPoints(db, ws.id, { profileId: p, points: 10, reason: 'ok', idempotencyKey: `good-${i}` })),
      earnPoints(db, ws.id, { profileId: p, points: 10, reason: 'bad \u0000 byte', idempotencyKey: 'bad' }),
      ...Array.from({ length: 10 }, (_, i) => earnPoints(db, ws.id, { profileId: p, points: 10, reason: 'ok', idempotencyKey: `good-${i}` })),
    ]);
    expect(pointsFlushStats.fallbacks).toBeGreaterThan(before);
    expect(results[10]!.status).toBe('rejected');
    const ok = results.filter((r): r is PromiseFulfilledResult<LedgerResult> => r.status === 'fulfilled');
    expect(ok).toHaveLength(20);
    expect(ok.filter((r) => !r.value.replayed)).toHaveLength(10);
    expect((await expectLedgerConsistent(db, ws.id, p)).balance).toBe(100);
  }, 60_000);

  it('an earn or a positive adjustment in a batch upgrades the tier once committed', async () => {
    const ws = await newWorkspace(ctx.database);
    const db = ctx.database.db;
    await setTiers(db, ws.id, [
      { id: 'normal', name: 'normal', rank: 0, threshold: 0 },
      { id: 'gold', name: 'gold', rank: 1, threshold: 100 },
    ]);
    await updateLoyaltySettings(db, ws.id, { tiers: { basis: 'points', period: 'rolling', rollingMonths: 12, graceDays: 30 } });
    const a = (await bindMemberCard(db, ws.id, { userId: 'group-a' })).profileId;
    const b = (await bindMemberCard(db, ws.id, { userId: 'group-b' })).profileId;
    await Promise.all([
      earnPoints(db, ws.id, { profileId: a, points: 60, reason: 'x' }),
      earnPoints(db, ws.id, { profileId: a, points: 60, reason: 'x' }),
      adjustPoints(db, ws.id, { profileId: b, points: 150, reason: 'goodwill' }),
      redeemPoints(db, ws.id, { profileId: b, points: 1, reason: 'x' }).catch(() => null),
    ]);
    expect((await getMember(db, ws.id, a)).tierId).toBe('gold');
    expect((await getMember(db, ws.id, b)).tierId).toBe('gold');
  }, 60_000);

  it('property: random concurrent operations over few profiles keep every invariant', async () => {
    const db = ctx.database.db;
    const op = fc.record({
      profile: fc.integer({ min: 0, max: 3 }),
      kind: fc.constantFrom<Kind>('earn', 'earn', 'redeem', 'redeem', 'adjust', 'reverse'),
      points: fc.integer({ min: 1, max: 60 }),
      key: fc.option(fc.integer({ min: 0, max: 15 }), { nil: null }),
    }).map((o) => (o.kind === 'adjust' && o.points % 2 ? { ...o, points: -o.points } : o));
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 2, maxLength: 40 }), async (ops) => {
        const ws = await newWorkspace(ctx.database);
        await fireAndCheck(db, ws.id, ops, [newProfileId(), newProfileId(), newProfileId(), newProfileId()]);
      }),
      { numRuns: 15 },
    );
  }, 300_000);
});
