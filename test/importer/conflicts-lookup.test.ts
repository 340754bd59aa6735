import { expect, it } from 'vitest';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { prepareMessages, storeMessages } from '../../src/modules/ingest/index.js';
import { loadIdentifierRules } from '../../src/modules/identity/index.js';
import { conflictsTouching, importedWithConflict } from '../../src/modules/importer/conflicts.js';

// The import's conflict lookups find identifiers by key and conflicts by either side or by message
// (importer/conflicts.ts): each way must still find its conflicts, and only those.
describeEachDatabase('import conflict lookups', (ctx) => {
  it('finds a conflict by its a side, its b side and its message, and no other', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    const users = ['cl-1', 'cl-2', 'cl-3', 'cl-4', 'cl-5', 'cl-6'];
    const { messages } = prepareMessages(users.map((u, i) => ({ type: 'identify', userId: u, messageId: `cl-seed-${i}` })), { receivedAt: new Date() });
    await storeMessages(db, ws.id, messages);
    const { rows } = await sql<{ value: string; id: string }>`SELECT value, id::text AS id FROM identifiers WHERE workspace_id = ${ws.id} AND type = 'userId'`.execute(db);
    const id = (u: string) => rows.find((r) => r.value === u)!.id;
    const conflict = async (a: string, b: string, messageId: string) =>
      sql`INSERT INTO identity_conflicts (workspace_id, a, b, reason, message_id, event_time) VALUES (${ws.id}, ${id(a)}::bigint, ${id(b)}::bigint, 'separated', ${messageId}, now())`.execute(db);
    await conflict('cl-1', 'cl-2', 'cl-msg-12');
    await conflict('cl-3', 'cl-4', 'cl-msg-34');
    await conflict('cl-5', 'cl-6', 'cl-msg-56');
    const key = (a: string, b: string, m: string) => `${id(a)}:${id(b)}:${m}`;
    const user = (value: string) => ({ type: 'userId', value });

    expect(await conflictsTouching(db, ws.id, [{ identifiers: [user('cl-1')] }])).toEqual(new Set([key('cl-1', 'cl-2', 'cl-msg-12')]));
    expect(await conflictsTouching(db, ws.id, [{ identifiers: [user('cl-4')] }])).toEqual(new Set([key('cl-3', 'cl-4', 'cl-msg-34')]));
    expect(await conflictsTouching(db, ws.id, [{ identifiers: [user('cl-2'), user('cl-3'), user('nobody')] }])).toEqual(new Set([key('cl-1', 'cl-2', 'cl-msg-12'), key('cl-3', 'cl-4', 'cl-msg-34')]));

    const rules = await loadIdentifierRules(db, ws.id);
    const lines = async (rowsIn: Parameters<typeof importedWithConflict>[2], before?: Set<string>) => (await importedWithConflict(db, ws.id, rowsIn, rules, before)).map((r) => r.line);
    // By message: the row whose link was refused.
    expect(await lines([{ messageId: 'cl-msg-56', line: 4 }, { messageId: 'cl-other', line: 5 }])).toEqual([4]);
    // New since `before`, by either side of the row's identifiers.
    expect(await lines([{ messageId: 'r-a', line: 2, identifiers: [user('cl-1')] }], new Set())).toEqual([2]);
    expect(await lines([{ messageId: 'r-b', line: 3, identifiers: [user('cl-4')] }], new Set())).toEqual([3]);
    expect(await lines([{ messageId: 'r-a', line: 2, identifiers: [user('cl-1')] }], new Set([key('cl-1', 'cl-2', 'cl-msg-12')]))).toEqual([]);
    const both = await importedWithConflict(db, ws.id, [{ messageId: 'cl-msg-12', line: 9, identifiers: [user('cl-1')] }, { messageId: 'r-c', line: 7, identifiers: [user('cl-3')] }], rules, new Set());
    expect(both.map((r) => r.line)).toEqual([7, 9]);
    expect(both[1]!.reason).toContain('userId cl-1');
  });
});
