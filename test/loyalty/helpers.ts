import { expect } from 'vitest';
import type { Db } from '../../src/platform/db/database.js';

/** Checks the ledger's invariants for one profile, straight from the tables. */
export async function expectLedgerConsistent(db: Db, workspaceId: string, profileId: number) {
  const account = await db
    .selectFrom('points_accounts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .executeTakeFirst();
  const sums = await db
    .selectFrom('points_entries')
    .select((eb) => [eb.fn.coalesce(eb.fn.sum<number>('points'), eb.lit(0)).as('points'), eb.fn.coalesce(eb.fn.sum<number>('debt_delta'), eb.lit(0)).as('debt')])
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .executeTakeFirstOrThrow();
  const lots = await db
    .selectFrom('points_lots')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('remaining'), eb.lit(0)).as('remaining'))
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .executeTakeFirstOrThrow();
  const pending = await db
    .selectFrom('points_pending')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('points'), eb.lit(0)).as('points'))
    .where('workspace_id', '=', workspaceId)
    .where('profile_id', '=', profileId)
    .where('status', '=', 'pending')
    .executeTakeFirstOrThrow();
  const balance = account?.balance ?? 0;
  const debt = account?.debt ?? 0;
  expect(balance).toBe(Number(sums.points));
  expect(debt).toBe(Number(sums.debt));
  expect(Number(lots.remaining)).toBe(balance);
  expect(account?.pending ?? 0).toBe(Number(pending.points));
  expect(balance).toBeGreaterThanOrEqual(0);
  expect(debt).toBeGreaterThanOrEqual(0);
  if (debt > 0) expect(balance).toBe(0);
  return { balance, debt, pending: account?.pending ?? 0 };
}

let next = 1_000_000 + Math.floor(Math.random() * 1_000_000);
/** A profile id no other test in the workspace uses. */
export const newProfileId = () => ++next;
