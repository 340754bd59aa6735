import { afterEach, expect, it } from 'vitest';
import { sql } from 'kysely';
import { ingestMessages, intakeApplier, setIngestParallelism, setIntakeMode } from '../../src/modules/ingest/index.js';
import { applyIntakeBatch } from '../../src/modules/ingest/intake-applier.js';
import { intakeIsBehind } from '../../src/modules/ingest/index.js';
import { openDatabase } from '../../src/platform/db/database.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, sendBatch } from '../support/ingest.js';

const track = (messageId: string, userId: string, event = 'Viewed') => ({ type: 'track', event, userId, messageId, properties: { n: 1 } });

async function count(db: Db, table: 'events' | 'ingest_intake', workspaceId: string): Promise<number> {
  const r = await db.selectFrom(table).select(({ fn }) => fn.countAll<number>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** Requests written to the intake stay there until the test applies them (as if the server had crashed). */
function holdApplier(): void {
  process.env.SIYU_INGEST_APPLIER = 'off';
}

afterEach(() => {
  setIntakeMode(undefined);
  delete process.env.SIYU_INGEST_APPLIER;
});

describeEachDatabase('ingest intake', (ctx) => {
  it('forced intake: answers 200 (queued) before applying; events and profiles appear once the applier has drained', async () => {
    const { db } = ctx.database;
    const app = await buildTestServer(ctx.database);
    const ws = await newWorkspace(ctx.database);
    setIntakeMode('always');
    holdApplier();
    const batch = [
      { type: 'identify', userId: 'iu-1', messageId: mid(), traits: { name: 'Li', email: 'Li@Example.cn' } },
      track(mid(), 'iu-1'),
      track(mid(), 'iu-2'),
    ];
    const res = await sendBatch(app, ws.writeKey, batch);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ success: true, accepted: 3, duplicates: 0, queued: true });
    // Durable but not applied yet: the backlog shows it.
    expect(await count(db, 'events', ws.id)).toBe(0);
    const backlog = await app.inject({ method: 'GET', url: '/api/v1/ingest/backlog', headers: bearer(ws.adminToken) });
    expect(backlog.statusCode).toBe(200);
    expect(backlog.json().data).toMatchObject({ rows: 1, events: 3, failedRows: 0 });
    expect(backlog.json().data.oldestAgeSeconds).toBeGreaterThanOrEqual(0);

    delete process.env.SIYU_INGEST_APPLIER;
    await intakeApplier.sweep(db);
    await intakeApplier.idle(db);
    expect(await count(db, 'events', ws.id)).toBe(3);
    expect(await count(db, 'ingest_intake', ws.id)).toBe(0);
    const p = await profileOf(app, ws.adminToken, 'email', 'li@example.cn');
    expect(p.traits.name).toBe('Li');
    expect(p.identifiers.map((i) => i.type).sort()).toEqual(['email', 'userId']);
    await app.close();
  });

  it('the applier wakes on its own when a request is queued (no sweep needed)', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    setIntakeMode('always');
    const r = await ingestMessages(db, ws.id, [track(mid(), 'wake-1'), track(mid(), 'wake-2')], { allowIntake: true });
    expect(r.queued).toBe(true);
    await intakeApplier.idle(db);
    expect(await count(db, 'events', ws.id)).toBe(2);
  });

  it('validation is the same on both paths: 400s name the offending index and nothing is queued', async () => {
    const app = await buildTestServer(ctx.database);
    const ws = await newWorkspace(ctx.database);
    setIntakeMode('always');
    const res = await sendBatch(app, ws.writeKey, [track(mid(), 'v-1'), { type: 'track', event: 'X', messageId: mid() }]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0]).toMatchObject({ index: 1 });
    expect(await count(ctx.database.db, 'ingest_intake', ws.id)).toBe(0);
    await app.close();
  });

  it('a messageId retried across the intake and the inline path is applied once, whichever comes first', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    const a = [track(mid('x'), 'r-1', 'Paid'), track(mid('x'), 'r-2', 'Paid')];
    const b = [track(mid('y'), 'r-3', 'Paid'), track(mid('y'), 'r-3', 'Paid')];
    const c = track(mid('z'), 'r-4', 'Paid');
    holdApplier();
    // a: queued first, then retried inline before the applier ran; b[0]: inline first, then retried into the intake.
    setIntakeMode('always');
    expect(await ingestMessages(db, ws.id, a, { allowIntake: true })).toEqual({ accepted: 2, duplicates: 0, queued: true });
    setIntakeMode('never');
    expect(await ingestMessages(db, ws.id, a, { allowIntake: true })).toEqual({ accepted: 2, duplicates: 0 });
    expect(await ingestMessages(db, ws.id, [b[0]!], { allowIntake: true })).toEqual({ accepted: 1, duplicates: 0 });
    setIntakeMode('always');
    // Queued: what is already stored is not known yet; a repeat within the request is.
    expect(await ingestMessages(db, ws.id, b, { allowIntake: true })).toEqual({ accepted: 2, duplicates: 0, queued: true });
    expect(await ingestMessages(db, ws.id, [c, c], { allowIntake: true })).toEqual({ accepted: 1, duplicates: 1, queued: true });
    expect(await ingestMessages(db, ws.id, a, { allowIntake: true })).toMatchObject({ queued: true });
    delete process.env.SIYU_INGEST_APPLIER;
    await intakeApplier.sweep(db);
    await intakeApplier.idle(db);
    expect(await count(db, 'ingest_intake', ws.id)).toBe(0);
    const events = await db.selectFrom('events').select('message_id').where('workspace_id', '=', ws.id).execute();
    expect(events.map((e) => e.message_id).sort()).toEqual([...a, ...b, c].map((m) => m.messageId).sort());
  });

  it('a drain that fails midway leaves every row for the next one: nothing lost, nothing applied twice', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    setIntakeMode('always');
    holdApplier();
    const batches = Array.from({ length: 5 }, (_, r) => Array.from({ length: 10 }, (_, k) => track(`crash-${ws.id}-${r}-${k}`, `cu-${k % 4}`)));
    for (const b of batches) await ingestMessages(db, ws.id, b, { allowIntake: true });
    expect(await count(db, 'ingest_intake', ws.id)).toBe(5);
    // Fails after the events were inserted and the rows deleted, before the commit.
    await expect(
      applyIntakeBatch(db, ws.id, 10_000, {
        beforeCommit: async () => {
          throw new Error('simulated crash before commit');
        },
      }),
    ).rejects.toThrow('simulated crash');
    expect(await count(db, 'events', ws.id)).toBe(0);
    expect(await count(db, 'ingest_intake', ws.id)).toBe(5);
    // Drains in small steps (two rows at a time), as a restarted applier would.
    let applied = 0;
    for (let i = 0; i < 10; i++) applied += (await applyIntakeBatch(db, ws.id, 20)).rows;
    expect(applied).toBe(5);
    expect(await count(db, 'events', ws.id)).toBe(50);
    expect(await count(db, 'ingest_intake', ws.id)).toBe(0);
    const profiles = await db.selectFrom('profiles').select('id').where('workspace_id', '=', ws.id).where('merged_into', 'is', null).execute();
    expect(profiles).toHaveLength(4);
  });

  it('says ingest is behind while a drain finds two drains or more waiting, not for a shallow backlog', async () => {
    const { db } = ctx.database;
    setIntakeMode('always');
    holdApplier();
    const shallow = await newWorkspace(ctx.database);
    const deep = await newWorkspace(ctx.database);
    for (let r = 0; r < 3; r++) await ingestMessages(db, shallow.id, [track(`shallow-${shallow.id}-${r}`, 'su')], { allowIntake: true });
    for (let r = 0; r < 6; r++) await ingestMessages(db, deep.id, [track(`deep-${deep.id}-${r}`, 'du')], { allowIntake: true });
    await applyIntakeBatch(db, shallow.id, 2); // 3 events waiting: under two drains of 2
    expect(intakeIsBehind(shallow.id)).toBe(false);
    expect(intakeIsBehind(deep.id)).toBe(false);
    await applyIntakeBatch(db, deep.id, 2); // 6 waiting: three drains
    expect(intakeIsBehind(deep.id)).toBe(true);
    expect(intakeIsBehind()).toBe(true);
    expect(intakeIsBehind(shallow.id)).toBe(false);
  });

  it('stores the body as received: Chinese, emoji and escapes arrive intact; bytes that are not UTF-8 are kept as decoded', async () => {
    const { db } = ctx.database;
    const app = await buildTestServer(ctx.database);
    const ws = await newWorkspace(ctx.database);
    setIntakeMode('always');
    holdApplier();
    const text = '兰蔻 👩‍🎤 "quoted" back\\slash tab\there';
    const ok = await sendBatch(app, ws.writeKey, [{ ...track(mid(), 'utf8-1', '加购'), properties: { text } }]);
    expect(ok.statusCode).toBe(200);
    // A raw 0xFF byte inside a JSON string: JSON.parse sees U+FFFD, and so must the stored event.
    const invalid = Buffer.concat([Buffer.from(`{"batch":[{"type":"track","event":"bad","userId":"utf8-2","messageId":"${mid()}","properties":{"text":"a`), Buffer.from([0xff]), Buffer.from('b"}}]}')]);
    const bad = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Basic ${Buffer.from(`${ws.writeKey}:`).toString('base64')}`, 'content-type': 'application/json' }, payload: invalid });
    expect(bad.statusCode).toBe(200);
    expect(await count(db, 'ingest_intake', ws.id)).toBe(2);
    delete process.env.SIYU_INGEST_APPLIER;
    await intakeApplier.sweep(db);
    await intakeApplier.idle(db);
    const rows = await db.selectFrom('events').select(['event', 'properties']).where('workspace_id', '=', ws.id).orderBy('event').execute();
    expect(rows).toEqual([
      { event: 'bad', properties: { text: 'a\uFFFDb' } },
      { event: '加购', properties: { text } },
    ]);
    await app.close();
  });

  it('a request with a NUL character keeps the inline path (its failure is answered, never accepted then lost)', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    setIntakeMode('always');
    await expect(ingestMessages(db, ws.id, [{ ...track(mid(), 'nul-1'), properties: { text: 'a\u0000b' } }], { allowIntake: true })).rejects.toBeTruthy();
    expect(await count(db, 'ingest_intake', ws.id)).toBe(0);
  });

  it('in-process callers (no body, not allowed) always apply before returning, even in forced-intake mode', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    setIntakeMode('always');
    expect(await ingestMessages(db, ws.id, [track(mid(), 'inproc-1')])).toEqual({ accepted: 1, duplicates: 0 });
    expect(await count(db, 'events', ws.id)).toBe(1);
  });

  it('auto mode answers inline (read-your-writes) when the server is not backed up', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    setIntakeMode('auto');
    const r = await ingestMessages(db, ws.id, [track(mid(), 'auto-1')], { allowIntake: true });
    expect(r).toEqual({ accepted: 1, duplicates: 0 });
    expect(await count(db, 'events', ws.id)).toBe(1);
  });

  it(`auto mode ${ctx.kind === 'postgres' ? 'queues once the group commit is backed up' : 'stays inline on PGlite even when backed up'}, and every message is applied once`, async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    setIntakeMode('auto');
    setIngestParallelism(db, ctx.kind === 'postgres' ? 2 : 1); // as the server sets it
    const requests = Array.from({ length: 30 }, (_, r) => Array.from({ length: 100 }, (_, k) => track(`burst-${ws.id}-${r}-${k}`, `bu-${k % 25}`)));
    const results = await Promise.all(requests.map((b) => ingestMessages(db, ws.id, b, { allowIntake: true })));
    setIngestParallelism(db, 1);
    expect(results[0]!.queued).toBeUndefined();
    // PostgreSQL: the first requests fill the group commit's queue (300 messages); later ones go to the intake.
    // PGlite: its intake would answer no sooner (one connection), so everything is written inline.
    if (ctx.kind === 'postgres') expect(results.filter((r) => r.queued).length).toBeGreaterThan(0);
    else expect(results.filter((r) => r.queued)).toEqual([]);
    expect(results.every((r) => r.accepted === 100 && r.duplicates === 0)).toBe(true);
    await intakeApplier.idle(db);
    expect(await count(db, 'events', ws.id)).toBe(3_000);
    expect(await count(db, 'ingest_intake', ws.id)).toBe(0);
  });

  if (ctx.kind === 'postgres') {
    it('two appliers (two connection pools, as two processes) drain one backlog concurrently: each row applied once', async () => {
      const { db } = ctx.database;
      const ws = await newWorkspace(ctx.database);
      setIntakeMode('always');
      holdApplier();
      const batches = Array.from({ length: 40 }, (_, r) =>
        Array.from({ length: 10 }, (_, k) => ({ ...track(`two-${ws.id}-${r}-${k}`, `tu-${(r + k) % 15}`), ...(k === 0 ? { anonymousId: `ta-${r % 7}` } : {}) })),
      );
      await Promise.all(batches.map((b) => ingestMessages(db, ws.id, b, { allowIntake: true })));
      expect(await count(db, 'ingest_intake', ws.id)).toBe(40);
      const other = await openDatabase({ url: TEST_POSTGRES_URL, schema: testPostgresSchema(), poolSize: 2 });
      try {
        const drain = async (d: Db) => {
          let rows = 0;
          for (;;) {
            const r = await applyIntakeBatch(d, ws.id, 30);
            if (r.rows === 0 && (await count(d, 'ingest_intake', ws.id)) === 0) return rows;
            rows += r.rows;
          }
        };
        const [x, y] = await Promise.all([drain(db), drain(other.db)]);
        expect(x + y).toBe(40);
        expect(x).toBeGreaterThan(0);
        expect(y).toBeGreaterThan(0);
      } finally {
        await other.close();
      }
      expect(await count(db, 'events', ws.id)).toBe(400);
      const { rows } = await sql<{ n: number }>`
        SELECT count(DISTINCT message_id)::int AS n FROM events WHERE workspace_id = ${ws.id}`.execute(db);
      expect(rows[0]!.n).toBe(400);
    });
  }
});
