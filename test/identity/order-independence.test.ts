import { expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { ingestMessages, setIntakeMode } from '../../src/modules/ingest/index.js';
import { applyIntakeBatch } from '../../src/modules/ingest/intake-applier.js';
import type { Db } from '../../src/platform/db/database.js';

/** A small universe of identifiers, so random messages collide, link, merge and conflict often. */
const identifierArb = fc.oneof(
  fc.constantFrom('u0', 'u1', 'u2', 'u3').map((v) => ({ key: 'userId', v })),
  fc.constantFrom('a0', 'a1', 'a2', 'a3', 'a4').map((v) => ({ key: 'anonymousId', v })),
  fc.constantFrom('M0', 'M1', 'M2').map((v) => ({ key: 'member_no', v })),
  fc.constantFrom('e0@x.cn', 'e1@x.cn', 'e2@x.cn').map((v) => ({ key: 'email', v })),
  fc.constantFrom('13800000001', '13800000002').map((v) => ({ key: 'phone', v })),
);

const messageArb = fc.record({
  ids: fc.uniqueArray(identifierArb, { minLength: 1, maxLength: 3, selector: (i) => `${i.key}:${i.v}` }),
  minute: fc.integer({ min: 0, max: 20 }), // few distinct times: ties are broken by messageId
  name: fc.constantFrom('Viewed', 'Carted', 'Paid'),
});

function toSegment(m: { ids: Array<{ key: string; v: string }>; minute: number; name: string }, i: number) {
  const msg: Record<string, unknown> = { type: 'track', event: m.name, messageId: `msg-${String(i).padStart(3, '0')}`, timestamp: new Date(Date.UTC(2026, 0, 1, 0, m.minute)).toISOString() };
  const externalIds: unknown[] = [];
  const traits: Record<string, string> = {};
  for (const { key, v } of m.ids) {
    if (key === 'userId' || key === 'anonymousId') msg[key] = v;
    else if (key === 'email' || key === 'phone') traits[key] = v;
    else externalIds.push({ id: v, type: key, collection: 'users', encoding: 'none' });
  }
  if (!msg.userId && !msg.anonymousId) msg.anonymousId = `solo-${i}`; // Segment requires one of them
  msg.context = { externalIds, traits };
  return msg;
}

/** The identity graph as a comparable value: each profile's identifiers, and which identifiers each event's profile has. */
async function graphOf(db: Db, workspaceId: string) {
  const { rows } = await sql<{ profile_id: number; k: string }>`
    SELECT profile_id, type || ':' || value AS k FROM identifiers WHERE workspace_id = ${workspaceId}`.execute(db);
  const byProfile = new Map<number, string[]>();
  for (const r of rows) (byProfile.get(r.profile_id) ?? byProfile.set(r.profile_id, []).get(r.profile_id)!).push(r.k);
  const profiles = [...byProfile.values()].map((ks) => ks.sort().join(' ')).sort();
  const events = await sql<{ message_id: string; profile_id: number }>`SELECT message_id, profile_id FROM events WHERE workspace_id = ${workspaceId} ORDER BY message_id`.execute(db);
  const eventOwners = events.rows.map((e) => `${e.message_id} → ${(byProfile.get(e.profile_id) ?? ['?']).sort().join(' ')}`);
  const live = await sql<{ n: number }>`SELECT count(*)::int AS n FROM profiles WHERE workspace_id = ${workspaceId} AND merged_into IS NULL`.execute(db);
  return { profiles, eventOwners, liveProfiles: live.rows[0]!.n };
}

describeEachDatabase('OneID order independence (property)', (ctx) => {
  it('gives the same identity graph whatever the arrival order and batch split', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(messageArb, { minLength: 1, maxLength: 14 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 14 }),
        async (messages, randoms, splits) => {
          const segment = messages.map(toSegment);
          const inOrder = await newWorkspace(ctx.database, 'prop-a');
          for (const m of segment) await ingestMessages(ctx.database.db, inOrder.id, [m]);

          const shuffled = [...segment].map((m) => ({ m, r: randoms.next().value as number })).sort((x, y) => x.r - y.r).map((x) => x.m);
          const other = await newWorkspace(ctx.database, 'prop-b');
          for (let i = 0, s = 0; i < shuffled.length; s++) {
            const size = splits[s % splits.length]!;
            await ingestMessages(ctx.database.db, other.id, shuffled.slice(i, i + size));
            i += size;
          }
          expect(await graphOf(ctx.database.db, other.id)).toEqual(await graphOf(ctx.database.db, inOrder.id));
        },
      ),
      { numRuns: ctx.kind === 'pglite' ? 12 : 25 },
    );
  }, 180_000);

  it('gives the same identity graph through the durable intake (queued in random splits, applied in random drain sizes)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(messageArb, { minLength: 1, maxLength: 14 }),
        fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })),
        fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 14 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 6 }),
        async (messages, randoms, splits, drains) => {
          const segment = messages.map(toSegment);
          const inOrder = await newWorkspace(ctx.database, 'prop-c');
          for (const m of segment) await ingestMessages(ctx.database.db, inOrder.id, [m]);

          const shuffled = [...segment].map((m) => ({ m, r: randoms.next().value as number })).sort((x, y) => x.r - y.r).map((x) => x.m);
          const other = await newWorkspace(ctx.database, 'prop-d');
          setIntakeMode('always');
          process.env.SIYU_INGEST_APPLIER = 'off';
          try {
            for (let i = 0, s = 0; i < shuffled.length; s++) {
              const size = splits[s % splits.length]!;
              expect(await ingestMessages(ctx.database.db, other.id, shuffled.slice(i, i + size), { allowIntake: true })).toMatchObject({ queued: true });
              i += size;
            }
          } finally {
            setIntakeMode(undefined);
            delete process.env.SIYU_INGEST_APPLIER;
          }
          for (let d = 0; (await applyIntakeBatch(ctx.database.db, other.id, drains[d % drains.length]!)).rows > 0; d++);
          expect(await graphOf(ctx.database.db, other.id)).toEqual(await graphOf(ctx.database.db, inOrder.id));
        },
      ),
      { numRuns: ctx.kind === 'pglite' ? 8 : 15 },
    );
  }, 180_000);
});
