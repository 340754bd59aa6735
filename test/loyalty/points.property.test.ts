import { expect, it } from 'vitest';
import fc from 'fast-check';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { earnPoints, expireDuePoints, redeemPoints, settleOrderPoints } from '../../src/modules/loyalty/index.js';
import { expectLedgerConsistent, newProfileId } from './helpers.js';

const DAY = 86_400_000;

/** Random sequences of earn / order / redeem / refund / expire over one profile; the ledger must stay consistent. */
const step = fc.oneof(
  fc.record({ op: fc.constant('earn' as const), points: fc.integer({ min: 1, max: 200 }), expiresInDays: fc.integer({ min: 1, max: 60 }) }),
  fc.record({ op: fc.constant('order' as const), amount: fc.integer({ min: 1, max: 300 }) }),
  fc.record({ op: fc.constant('redeem' as const), points: fc.integer({ min: 1, max: 250 }) }),
  fc.record({ op: fc.constant('refund' as const), which: fc.nat(), share: fc.double({ min: 0.1, max: 1, noNaN: true }) }),
  fc.record({ op: fc.constant('expire' as const), days: fc.integer({ min: 1, max: 30 }) }),
);

describeEachDatabase('loyalty points ledger (property)', (ctx) => {
  it('balance = sum of ledger = sum of lots, never negative, debt only at zero balance', async () => {
    const db = ctx.database.db;
    // Virtual time starts a year ahead so the real clock never expires lots behind the test's back.
    const start = Date.now() + 365 * DAY;
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const ws = await newWorkspace(ctx.database); // the expiry job is per workspace: one per run
        const p = newProfileId();
        let clock = start;
        let net = 0; // credits − successful debits − reversals − expiries: must equal balance − debt
        const orders: Array<{ id: string; amount: number; refunded: number }> = [];
        for (const [i, s] of steps.entries()) {
          if (s.op === 'earn') {
            await earnPoints(db, ws.id, { profileId: p, points: s.points, reason: 'p', expiresAt: new Date(clock + s.expiresInDays * DAY) });
            net += s.points;
          } else if (s.op === 'order') {
            const id = `o-${p}-${i}`;
            const r = await settleOrderPoints(db, ws.id, { orderId: id, profileId: p, status: 'paid', paidAmount: s.amount, paidAt: new Date(clock) });
            orders.push({ id, amount: s.amount, refunded: 0 });
            net += r.granted;
          } else if (s.op === 'redeem') {
            const before = await expectLedgerConsistent(db, ws.id, p);
            try {
              await redeemPoints(db, ws.id, { profileId: p, points: s.points, reason: 'p' });
              expect(before.balance).toBeGreaterThanOrEqual(s.points);
              net -= s.points;
            } catch (err) {
              expect((err as { code?: string }).code).toBe('insufficient_points');
              expect(before.balance).toBeLessThan(s.points);
            }
          } else if (s.op === 'refund' && orders.length > 0) {
            const o = orders[s.which % orders.length]!;
            o.refunded = Math.min(o.amount, o.refunded + Math.ceil(o.amount * s.share));
            const status = o.refunded >= o.amount ? 'refunded' : 'partially_refunded';
            const r = await settleOrderPoints(db, ws.id, { orderId: o.id, profileId: p, status, paidAmount: o.amount, refundedAmount: o.refunded });
            net -= r.reversed;
          } else if (s.op === 'expire') {
            clock += s.days * DAY;
            const r = await expireDuePoints(db, ws.id, new Date(clock));
            net -= r.points;
          }
          const state = await expectLedgerConsistent(db, ws.id, p);
          expect(state.balance - state.debt).toBe(net);
        }
      }),
      { numRuns: ctx.kind === 'pglite' ? 15 : 25 },
    );
  }, 120_000);
});
