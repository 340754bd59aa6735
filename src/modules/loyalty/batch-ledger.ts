import type { PointsEntryKind } from '../../platform/db/schema.js';
import { planConsumption, type OpenLot } from './lots.js';

/**
 * The ledger of ledger.ts / pending.ts, played in memory for a batch of operations on many accounts (locked by the
 * caller): the same rules (a credit pays debt first and makes a lot; a reversal expires due lots, takes the source's
 * own lot first, then FIFO, and records the rest as debt; pending points shrink before the ledger is touched), with
 * the operations applied one after the other, so the rows it produces are the rows the one-at-a-time functions
 * would have written. The caller writes them in a few multi-row statements.
 *
 * Entries get placeholder ids (< 0) until the caller has allocated real ones; `{ref}` in `sourceId` / `key` stands
 * for the id of the entry (or lot) `ref` names.
 */
export interface BatchEntry {
  id: number;
  profileId: number;
  kind: PointsEntryKind;
  points: number;
  debtDelta: number;
  reason: string;
  sourceType: string;
  sourceId: string | null;
  key: string | null;
  ref?: number;
}

export interface BatchLot extends OpenLot {
  profileId: number;
  points: number;
  /** Consumption order among lots of one expiry date: the entry id, or after every stored lot for new ones. */
  seq: number;
}

export interface BatchPending {
  id: number;
  profileId: number;
  points: number;
  status: 'pending' | 'cancelled';
  sourceType: string;
  sourceId: string | null;
  reason?: string;
  key?: string;
  availableAt?: Date;
}

interface Account {
  balance: number;
  debt: number;
  pending: number;
}

export interface AccountDelta {
  profileId: number;
  balance: number;
  debt: number;
  pending: number;
  earned: number;
}

interface Credit {
  profileId: number;
  points: number;
  kind: 'earn' | 'adjust' | 'reverse';
  reason: string;
  sourceType: string;
  sourceId: string | null;
  key: string | null;
  expiresAt: Date | null;
}

export class BatchLedger {
  readonly entries: BatchEntry[] = [];
  readonly newLots: BatchLot[] = [];
  /** Points taken out of stored lots, by entry id. */
  readonly lotTakes = new Map<number, number>();
  readonly newPending: BatchPending[] = [];
  /** Stored pending rows that changed, by id. */
  readonly pendingChanges = new Map<number, BatchPending>();
  private readonly deltas = new Map<number, AccountDelta>();
  private readonly accounts = new Map<number, Account>();
  private readonly lots = new Map<number, BatchLot[]>();
  private readonly pending: BatchPending[] = [];
  private nextId = -1;
  private nextSeq = 2 ** 52;

  constructor(
    private readonly now: Date,
    /** Idempotency keys already used in the ledger and among pending points: those operations were applied. */
    private readonly usedKeys: { entries: Set<string>; pending: Set<string> },
  ) {}

  /** The locked account of a profile, as it was before the batch. */
  setAccount(profileId: number, account: Account): void {
    this.accounts.set(profileId, { ...account });
  }

  /** The open lots of a profile (needed before a reversal of that profile). */
  setLots(profileId: number, lots: OpenLot[]): void {
    this.lots.set(profileId, lots.map((l) => ({ ...l, profileId, points: l.remaining, seq: l.entryId })));
  }

  /** Stored pending rows a reduction may shrink. */
  addStoredPending(rows: BatchPending[]): void {
    this.pending.push(...rows.map((r) => ({ ...r })));
  }

  /** Adds points, paying outstanding debt first; false when the key says it was applied already. */
  credit(op: Credit): boolean {
    if (op.key && this.usedKeys.entries.has(op.key)) return false;
    if (op.key) this.usedKeys.entries.add(op.key);
    const account = this.account(op.profileId);
    const repay = Math.min(account.debt, op.points);
    const id = this.nextId--;
    this.entries.push({ id, profileId: op.profileId, kind: op.kind, points: op.points, debtDelta: 0, reason: op.reason, sourceType: op.sourceType, sourceId: op.sourceId, key: op.key });
    const lot: BatchLot = { entryId: id, profileId: op.profileId, points: op.points, remaining: op.points - repay, expiresAt: op.expiresAt, sourceType: op.sourceType, sourceId: op.sourceId, seq: this.nextSeq++ };
    this.newLots.push(lot);
    this.lots.get(op.profileId)?.push(lot);
    if (repay > 0) {
      this.entries.push({
        id: this.nextId--,
        profileId: op.profileId,
        kind: 'reverse',
        points: -repay,
        debtDelta: -repay,
        reason: 'debt repayment',
        sourceType: 'system',
        sourceId: 'entry:{ref}',
        key: op.key ? `${op.key}#debt` : null,
        ref: id,
      });
    }
    this.move(op.profileId, { balance: op.points - repay, debt: -repay, earned: op.kind === 'earn' ? op.points : 0 });
    return true;
  }

  /** Points waiting out a refund window (not spendable); false when the key was used. */
  addPending(p: Required<Omit<BatchPending, 'id' | 'status'>>): boolean {
    if (this.usedKeys.pending.has(p.key)) return false;
    this.usedKeys.pending.add(p.key);
    const row: BatchPending = { ...p, id: this.nextId--, status: 'pending' };
    this.newPending.push(row);
    this.pending.push(row);
    this.move(p.profileId, { pending: p.points });
    return true;
  }

  /** Shrinks a source's pending points of a profile, newest first; returns how many it removed. */
  reducePending(profileId: number, source: { type: string; id: string }, points: number): number {
    const rows = this.pending
      .filter((r) => r.profileId === profileId && r.sourceType === source.type && r.sourceId === source.id && r.status === 'pending')
      .sort((a, b) => order(b.id) - order(a.id));
    let left = points;
    for (const row of rows) {
      if (left <= 0) break;
      const cut = Math.min(row.points, left);
      row.points -= cut;
      if (row.points === 0) row.status = 'cancelled';
      if (row.id > 0) this.pendingChanges.set(row.id, row);
      left -= cut;
    }
    const removed = points - left;
    if (removed > 0) this.move(profileId, { pending: -removed });
    return removed;
  }

  /**
   * Takes points back (a refund): due lots expire first, then the source's own lot, then FIFO; what was spent
   * already becomes debt. Returns the debt recorded, or null when the key says it was applied already.
   */
  reverse(op: { profileId: number; points: number; reason: string; sourceType: string; sourceId: string; key: string }): number | null {
    if (this.usedKeys.entries.has(op.key)) return null;
    this.usedKeys.entries.add(op.key);
    const lots = this.lots.get(op.profileId);
    if (!lots) throw new Error(`lots of profile ${op.profileId} were not loaded`);
    lots.sort((a, b) => (a.expiresAt?.getTime() ?? Infinity) - (b.expiresAt?.getTime() ?? Infinity) || a.seq - b.seq);
    let expired = 0;
    for (const lot of lots) {
      if (lot.remaining <= 0 || lot.expiresAt === null || lot.expiresAt.getTime() > this.now.getTime()) continue;
      this.entries.push({
        id: this.nextId--,
        profileId: op.profileId,
        kind: 'expire',
        points: -lot.remaining,
        debtDelta: 0,
        reason: 'points expired',
        sourceType: 'system',
        sourceId: 'lot:{ref}',
        key: `expire:lot:{ref}:${lot.remaining}`,
        ref: lot.entryId,
      });
      expired += lot.remaining;
      this.take(lot, lot.remaining);
    }
    const live = lots.filter((l) => l.remaining > 0);
    const available = live.reduce((sum, l) => sum + l.remaining, 0);
    const taken = Math.min(available, op.points);
    const debt = op.points - taken;
    const byId = new Map(live.map((l) => [l.entryId, l]));
    for (const p of planConsumption(live, taken, { sourceType: op.sourceType, sourceId: op.sourceId })) this.take(byId.get(p.entryId)!, p.take);
    this.entries.push({ id: this.nextId--, profileId: op.profileId, kind: 'reverse', points: -taken, debtDelta: debt, reason: op.reason, sourceType: op.sourceType, sourceId: op.sourceId, key: op.key });
    this.move(op.profileId, { balance: -taken - expired, debt });
    return debt;
  }

  /** Per-profile changes of the cached sums (profiles whose sums did not move are left out). */
  accountDeltas(): AccountDelta[] {
    return [...this.deltas.values()].filter((d) => d.balance || d.debt || d.pending || d.earned);
  }

  private take(lot: BatchLot, points: number): void {
    lot.remaining -= points;
    if (lot.entryId > 0) this.lotTakes.set(lot.entryId, (this.lotTakes.get(lot.entryId) ?? 0) + points);
  }

  private account(profileId: number): Account {
    const account = this.accounts.get(profileId);
    if (!account) throw new Error(`account of profile ${profileId} is not locked`);
    return account;
  }

  private move(profileId: number, d: Partial<Omit<AccountDelta, 'profileId'>>): void {
    const account = this.account(profileId);
    account.balance += d.balance ?? 0;
    account.debt += d.debt ?? 0;
    account.pending += d.pending ?? 0;
    const delta = this.deltas.get(profileId) ?? { profileId, balance: 0, debt: 0, pending: 0, earned: 0 };
    delta.balance += d.balance ?? 0;
    delta.debt += d.debt ?? 0;
    delta.pending += d.pending ?? 0;
    delta.earned += d.earned ?? 0;
    this.deltas.set(profileId, delta);
  }
}

/** Stored rows (id > 0) are older than the batch's own (placeholder ids, -1 first). */
const order = (id: number) => (id > 0 ? id : 2 ** 52 - id);
