import pg from 'pg';
import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { readEventFeed, readTagFeed, type FeedCursor } from '../../src/modules/journeys/event-feed.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { seedProfile } from '../rules/seed.js';

async function insertEvent(db: Db | pg.Client, workspaceId: string, profileId: number, name: string): Promise<void> {
  const text = `INSERT INTO events (workspace_id, message_id, type, event, identifier_id, profile_id, "timestamp", received_at)
    VALUES ($1, $2, 'track', $3, 0, $4, now(), now())`;
  const values = [workspaceId, `feed-${name}-${Math.random()}`, name, profileId];
  if (db instanceof pg.Client) await db.query(text, values);
  else await sql.raw(text.replace('$1', `'${workspaceId}'`).replace('$2', `'${values[1]}'`).replace('$3', `'${name}'`).replace('$4', String(profileId))).execute(db);
}

/** Reads until the cursor has settled (other tests' transactions may keep a stretch pending for a moment). */
async function drain(db: Db, workspaceId: string, cursor: FeedCursor, rounds = 3): Promise<{ names: string[]; cursor: FeedCursor }> {
  const names: string[] = [];
  for (let i = 0; i < rounds || (cursor.pending && i < 200); i++) {
    const { events, next } = await db.transaction().execute((trx) => readEventFeed(trx, workspaceId, cursor, 100));
    names.push(...events.map((e) => e.event!));
    cursor = next;
    if (cursor.pending) await new Promise((r) => setTimeout(r, 50));
  }
  return { names, cursor };
}

describeEachDatabase('journey event feed', (ctx) => {
  it('hands out every event once, in id order, across reads', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    const p = await seedProfile(db, ws.id);
    for (const n of ['a', 'b', 'c']) await insertEvent(db, ws.id, p, n);
    let { names, cursor } = await drain(db, ws.id, { lastId: 0, pending: null });
    expect(names).toEqual(['a', 'b', 'c']);
    await insertEvent(db, ws.id, p, 'd');
    ({ names, cursor } = await drain(db, ws.id, cursor));
    expect(names).toEqual(['d']);
    expect(cursor.pending).toBeNull();
  });

  it('hands out tag changes once each, in order', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    const p = await seedProfile(db, ws.id);
    const apply = (tag: string) =>
      db.insertInto('tag_history').values({ workspace_id: ws.id, tag_id: tag, profile_id: p, origin_profile_id: p, action: 'apply', value: '', cause: 'manual' }).execute();
    await apply('t1');
    await apply('t2');
    let cursor: FeedCursor = { lastId: 0, pending: null };
    const seen: string[] = [];
    // One row per read, a new change arriving part-way; read on until all three are seen and the cursor settles.
    for (let i = 0; i < 200 && (i < 4 || seen.length < 3 || cursor.pending); i++) {
      if (i === 2) await apply('t3');
      const read = await db.transaction().execute((trx) => readTagFeed(trx, ws.id, cursor, 1));
      seen.push(...read.changes.map((c) => c.tag_id));
      cursor = read.next;
      if (cursor.pending) await new Promise((r) => setTimeout(r, 20));
    }
    expect(seen).toEqual(['t1', 't2', 't3']);
  });

  it.runIf(ctx.kind === 'postgres')('does not lose an event whose transaction took a lower id but committed later', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    const p = await seedProfile(db, ws.id);
    const slow = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${testPostgresSchema()}` });
    await slow.connect();
    try {
      await slow.query('BEGIN');
      await insertEvent(slow, ws.id, p, 'early-id-late-commit'); // takes the lower id, stays uncommitted
      await insertEvent(db, ws.id, p, 'later-id-committed');
      let cursor: FeedCursor = { lastId: 0, pending: null };
      const names: string[] = [];
      for (let i = 0; i < 3; i++) {
        const read = await db.transaction().execute((trx) => readEventFeed(trx, ws.id, cursor, 100));
        names.push(...read.events.map((e) => e.event!));
        cursor = read.next;
      }
      expect(names).toEqual(['later-id-committed']);
      expect(cursor.pending).not.toBeNull(); // the stretch waits for the running transaction
      await slow.query('COMMIT');
      const after = await drain(db, ws.id, cursor);
      expect(after.names).toEqual(['early-id-late-commit']);
      expect(after.cursor.pending).toBeNull();
    } finally {
      await slow.end();
    }
  });

  it.runIf(ctx.kind === 'postgres')('is not held back by a long transaction that has not written events (another table, a bulk load elsewhere)', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    const p = await seedProfile(db, ws.id);
    const other = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${testPostgresSchema()}` });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE profiles SET traits = traits WHERE workspace_id = $1 AND id = $2`, [ws.id, p]); // has an xid, no events
      await insertEvent(db, ws.id, p, 'while-another-runs');
      // Other tests' event writers may keep a stretch pending for a moment; this transaction must not.
      const { names, cursor } = await drain(db, ws.id, { lastId: 0, pending: null });
      expect(names).toEqual(['while-another-runs']);
      expect(cursor.pending).toBeNull(); // the cursor moved on although the other transaction is still open
    } finally {
      await other.query('ROLLBACK').catch(() => undefined);
      await other.end();
    }
  });
});
