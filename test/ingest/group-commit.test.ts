import { expect, it } from 'vitest';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { GroupCommit } from '../../src/modules/ingest/group-commit.js';
import type { PreparedMessage } from '../../src/modules/ingest/index.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { describe } from 'vitest';

const track = (messageId: string, userId: string) => ({ type: 'track', event: 'Viewed', userId, messageId, properties: { n: 1 } });

describeEachDatabase('ingest group commit', (ctx) => {
  it('stores concurrent requests once each; a messageId sent by two requests counts for the first only', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    // 30 requests at once, each 20 messages; every request shares 5 messageIds with the next one.
    const requests = Array.from({ length: 30 }, (_, r) =>
      Array.from({ length: 20 }, (_, k) => track(`m-${r * 15 + k}`, `u-${(r * 15 + k) % 40}`)),
    );
    const results = await Promise.all(requests.map((batch) => ingestMessages(db, ws.id, batch)));
    const distinct = new Set(requests.flat().map((m) => m.messageId)).size;
    expect(results.reduce((s, r) => s + r.accepted, 0)).toBe(distinct);
    for (const [i, r] of results.entries()) expect(r.accepted + r.duplicates).toBe(requests[i]!.length);
    const stored = await db.selectFrom('events').select(({ fn }) => fn.countAll<number>().as('n')).where('workspace_id', '=', ws.id).executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(distinct);
    const profiles = await db.selectFrom('profiles').select('id').where('workspace_id', '=', ws.id).where('merged_into', 'is', null).execute();
    expect(profiles).toHaveLength(40);
    // Replaying every request changes nothing and reports every message as a duplicate.
    const replay = await Promise.all(requests.map((batch) => ingestMessages(db, ws.id, batch)));
    expect(replay.every((r) => r.accepted === 0 && r.duplicates === 20)).toBe(true);
  });
});

describe('GroupCommit', () => {
  const msg = (id: string) => ({ messageId: id }) as PreparedMessage;
  const db = {} as Db;

  it('writes requests that arrive during a flush together, and a lone request at once', async () => {
    const calls: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommit(async (_db, _ws, messages) => {
      calls.push(messages.map((m) => m.messageId));
      if (calls.length === 1) await gate;
      return new Set(messages.map((m) => m.messageId));
    }, 1);
    const first = gc.submit(db, 'ws', [msg('a')]);
    const rest = [gc.submit(db, 'ws', [msg('b')]), gc.submit(db, 'ws', [msg('c'), msg('b')]), gc.submit(db, 'ws', [msg('d')])];
    expect(calls).toEqual([['a']]);
    release();
    expect(await first).toEqual({ accepted: 1, duplicates: 0 });
    expect(await Promise.all(rest)).toEqual([
      { accepted: 1, duplicates: 0 },
      { accepted: 1, duplicates: 1 },
      { accepted: 1, duplicates: 0 },
    ]);
    expect(calls).toEqual([['a'], ['b', 'c', 'b', 'd']]);
  });

  it('retries a failed combined flush request by request, so only the bad request fails', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let n = 0;
    const gc = new GroupCommit(async (_db, _ws, messages) => {
      if (n++ === 0) await gate;
      if (messages.some((m) => m.messageId === 'bad')) throw new Error('boom');
      return new Set(messages.map((m) => m.messageId));
    }, 1);
    const first = gc.submit(db, 'ws', [msg('a')]);
    const good = gc.submit(db, 'ws', [msg('b')]);
    const bad = gc.submit(db, 'ws', [msg('bad')]);
    const good2 = gc.submit(db, 'ws', [msg('c')]);
    release();
    await first;
    expect(await good).toEqual({ accepted: 1, duplicates: 0 });
    await expect(bad).rejects.toThrow('boom');
    expect(await good2).toEqual({ accepted: 1, duplicates: 0 });
  });

  it('keeps workspaces apart', async () => {
    const seen: string[] = [];
    const gc = new GroupCommit(async (_db, ws, messages) => {
      seen.push(`${ws}:${messages.length}`);
      return new Set(messages.map((m) => m.messageId));
    }, 1);
    await Promise.all([gc.submit(db, 'w1', [msg('a')]), gc.submit(db, 'w2', [msg('a')])]);
    expect(seen.sort()).toEqual(['w1:1', 'w2:1']);
  });
});
