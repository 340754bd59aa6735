import { expect, it } from 'vitest';
import { ingestMessages, setIngestParallelism } from '../../src/modules/ingest/index.js';
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

  it('with two flushes under way at once, concurrent requests sharing messageIds and people are stored once each', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    setIngestParallelism(db, 2);
    try {
      // Same people in every request (profile rows and change-feed rows locked by both flushes), shared messageIds.
      const requests = Array.from({ length: 24 }, (_, r) =>
        Array.from({ length: 25 }, (_, k) => ({ ...track(`p-${r * 20 + k}`, `u-${k % 10}`), ...(k % 5 === 0 ? { type: 'identify', traits: { n: r } } : {}) })),
      );
      const results = await Promise.all(requests.map((batch) => ingestMessages(db, ws.id, batch)));
      const distinct = new Set(requests.flat().map((m) => m.messageId)).size;
      expect(results.reduce((s, r) => s + r.accepted, 0)).toBe(distinct);
      for (const [i, r] of results.entries()) expect(r.accepted + r.duplicates).toBe(requests[i]!.length);
      const stored = await db.selectFrom('events').select(({ fn }) => fn.countAll<number>().as('n')).where('workspace_id', '=', ws.id).executeTakeFirstOrThrow();
      expect(Number(stored.n)).toBe(distinct);
      const profiles = await db.selectFrom('profiles').select('id').where('workspace_id', '=', ws.id).where('merged_into', 'is', null).execute();
      expect(profiles).toHaveLength(10);
      const queued = await db.selectFrom('profile_changes').select('profile_id').where('workspace_id', '=', ws.id).execute();
      expect(queued.map((q) => q.profile_id).sort()).toEqual(profiles.map((p) => p.id).sort());
    } finally {
      setIngestParallelism(db, 1);
    }
  });

  it('requests written together: one failing validation, one failing in the database, the others still committed', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    setIngestParallelism(db, 2);
    try {
      const good = Array.from({ length: 6 }, (_, r) => [track(`g-${r}-1`, `gu-${r}`), track(`g-${r}-2`, `gu-${r}`)]);
      const noId = [track('v-1', 'vu'), { type: 'track', event: 'Viewed', messageId: 'v-2' }];
      // Valid for the validator, refused by the database (jsonb has no NUL character): it fails the shared flush.
      const nul = [track('d-1', 'du'), { ...track('d-2', 'du'), properties: { text: 'a\u0000b' } }];
      const outcomes = await Promise.allSettled([
        ...good.slice(0, 3).map((b) => ingestMessages(db, ws.id, b)),
        ingestMessages(db, ws.id, noId),
        ingestMessages(db, ws.id, nul),
        ...good.slice(3).map((b) => ingestMessages(db, ws.id, b)),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      for (const o of outcomes) if (o.status === 'fulfilled') expect(o.value).toEqual({ accepted: 2, duplicates: 0 });
      expect(((outcomes[3] as PromiseRejectedResult).reason as { code?: string }).code).toBe('invalid_request');
      // The NUL message passed validation: it failed the combined flush, and alone on its retry.
      expect(((outcomes[4] as PromiseRejectedResult).reason as { code?: string }).code).not.toBe('invalid_request');
      const stored = await db.selectFrom('events').select('message_id').where('workspace_id', '=', ws.id).execute();
      expect(stored.map((e) => e.message_id).sort()).toEqual(good.flat().map((m) => m.messageId).sort());
    } finally {
      setIngestParallelism(db, 1);
    }
  });
});

describe('GroupCommit', () => {
  const msg = (id: string) => ({ messageId: id }) as PreparedMessage;
  const db = {} as Db;

  /** One turn of the event loop: a flush starts at the end of the turn in which its first request arrived. */
  const turn = () => new Promise((r) => setImmediate(r));

  it('writes requests that arrive during a flush together, and a lone request at the end of its turn', async () => {
    const calls: string[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const gc = new GroupCommit(async (_db, _ws, messages) => {
      calls.push(messages.map((m) => m.messageId));
      if (calls.length === 1) await gate;
      return new Set(messages.map((m) => m.messageId));
    }, 1);
    const first = gc.submit(db, 'ws', [msg('a')]);
    expect(calls).toEqual([]);
    await turn();
    expect(calls).toEqual([['a']]);
    const rest = [gc.submit(db, 'ws', [msg('b')]), gc.submit(db, 'ws', [msg('c'), msg('b')]), gc.submit(db, 'ws', [msg('d')])];
    await turn();
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

  it('writes requests read in the same turn together even when no flush is under way (PGlite: its queries yield no turn)', async () => {
    const calls: string[][] = [];
    const gc = new GroupCommit(async (_db, _ws, messages) => {
      calls.push(messages.map((m) => m.messageId));
      return new Set(messages.map((m) => m.messageId));
    }, 1);
    const answers = await Promise.all([gc.submit(db, 'ws', [msg('a')]), gc.submit(db, 'ws', [msg('b'), msg('a')]), gc.submit(db, 'ws', [msg('c')])]);
    expect(calls).toEqual([['a', 'b', 'a', 'c']]);
    expect(answers).toEqual([{ accepted: 1, duplicates: 0 }, { accepted: 1, duplicates: 1 }, { accepted: 1, duplicates: 0 }]);
    // The next request, alone in its turn, is written alone.
    expect(await gc.submit(db, 'ws', [msg('d')])).toEqual({ accepted: 1, duplicates: 0 });
    expect(calls).toEqual([['a', 'b', 'a', 'c'], ['d']]);
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
    await turn();
    const good = gc.submit(db, 'ws', [msg('b')]);
    const bad = gc.submit(db, 'ws', [msg('bad')]);
    const good2 = gc.submit(db, 'ws', [msg('c')]);
    release();
    await first;
    expect(await good).toEqual({ accepted: 1, duplicates: 0 });
    await expect(bad).rejects.toThrow('boom');
    expect(await good2).toEqual({ accepted: 1, duplicates: 0 });
  });

  it('runs up to the database\'s limit of flushes at once, and requests arriving meanwhile share the next one', async () => {
    const calls: string[][] = [];
    const gates: Array<() => void> = [];
    const gc = new GroupCommit(async (_db, _ws, messages) => {
      calls.push(messages.map((m) => m.messageId));
      if (calls.length <= 2) await new Promise<void>((r) => gates.push(r));
      return new Set(messages.map((m) => m.messageId));
    }, 1);
    const twoAtOnce = {} as Db;
    gc.setMaxInFlight(twoAtOnce, 2);
    const a = gc.submit(twoAtOnce, 'ws', [msg('a')]);
    await turn();
    const b = gc.submit(twoAtOnce, 'ws', [msg('b')]);
    await turn();
    const rest = [gc.submit(twoAtOnce, 'ws', [msg('c')]), gc.submit(twoAtOnce, 'ws', [msg('d')])];
    await turn();
    expect(calls).toEqual([['a'], ['b']]);
    // Nothing is answered before its own flush has committed.
    let answered = false;
    void Promise.race([a, b, ...rest]).then(() => (answered = true));
    await new Promise((r) => setTimeout(r, 10));
    expect(answered).toBe(false);
    gates[1]!();
    expect(await b).toEqual({ accepted: 1, duplicates: 0 });
    expect(await Promise.all(rest)).toEqual([{ accepted: 1, duplicates: 0 }, { accepted: 1, duplicates: 0 }]);
    expect(calls).toEqual([['a'], ['b'], ['c', 'd']]);
    gates[0]!();
    expect(await a).toEqual({ accepted: 1, duplicates: 0 });
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
