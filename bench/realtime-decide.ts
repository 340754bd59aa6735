/**
 * In-process cost of re-deciding changed profiles (the real-time rules pass, without HTTP or ingest), on the data
 * bench/realtime.ts leaves behind (schema siyu_bench_realtime: 20,000 profiles, 50 rule tags, 20 segments, probe).
 * Queues N random profiles on the change feed, drains it in batches of --limit and reports profiles/s, twice:
 * "everything" (any change: an order, a merge…) and "event" (only a `Product Viewed` arrived, as ingest queues it).
 * --modes mix: as bench/realtime.ts's load: each profile gets one new event (of the five bench names, stored, with
 * the scope ingest gives it), and one in ten is a new profile with a page view.
 *
 *   npx tsx bench/realtime-decide.ts [--profiles 2000] [--limit 500] [--modes everything,event,everything,event]
 *     [--schema siyu_bench_realtime] (e.g. one set up by `bench/realtime.ts --setup-only --schema …` for each side of an A/B)
 */
import { sql } from 'kysely';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { wireModules } from '../src/modules/wiring.js';
import { markProfilesChanged, type ProfileChangeScope } from '../src/modules/identity/index.js';
import { processProfileChanges } from '../src/modules/segments/index.js';
import { log, machineLoad } from './lib/results.js';
import { mixLoad } from './lib/realtime-mix.js';
import { cpuWindow } from './lib/cpu.js';
import { PG_URL } from './lib/server.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const n = Number(arg('profiles', '2000'));
const limit = Number(arg('limit', '500'));
const schema = arg('schema', 'siyu_bench_realtime');
const modes = arg('modes', 'everything,event,everything,event').split(',') as Array<'everything' | 'event' | 'mix'>;
async function main() {
  wireModules();
  const database = await openDatabase({ url: PG_URL, schema, poolSize: 4 });
  const db = database.db;
  try {
    await migrateToLatest(db);
    const ws = (await db.selectFrom('workspaces').select('id').executeTakeFirstOrThrow()).id;
    await sql`DELETE FROM profile_changes WHERE workspace_id = ${ws}`.execute(db);
    log(`re-deciding ${n} profiles in batches of ${limit}; ${await machineLoad()}`);
    for (const mode of modes) {
      const { rows } = await sql<{ id: number }>`SELECT id FROM profiles WHERE workspace_id = ${ws} AND merged_into IS NULL AND id IN (SELECT profile_id FROM identifiers WHERE workspace_id = ${ws}) ORDER BY random() LIMIT ${n}`.execute(db);
      let ids = rows.map((r) => r.id);
      let scopes = new Map<number, ProfileChangeScope>(mode === 'event' ? ids.map((id) => [id, { events: ['Product Viewed'], traits: false }]) : []);
      if (mode === 'mix') ({ ids, scopes } = await mixLoad(db, ws, ids));
      await db.transaction().execute((trx) => markProfilesChanged(trx, ws, ids, scopes));
      const cpu = await cpuWindow();
      const t = performance.now();
      let profiles = 0;
      let changes = 0;
      let batches = 0;
      for (;;) {
        const r = await processProfileChanges(db, ws, { limit });
        if (r.profiles === 0) break;
        profiles += r.profiles;
        changes += r.changes;
        batches++;
      }
      const s = (performance.now() - t) / 1000;
      const used = await cpu();
      const us = (x: number) => Math.round((x * 1e6) / profiles);
      log(`  ${mode}: ${profiles} profiles in ${batches} batches, ${s.toFixed(2)} s → ${Math.round(profiles / s)} profiles/s (${((s * 1000) / batches).toFixed(0)} ms per batch, ${changes} changes); CPU per profile: node ${us(used.node)} µs + postgres ${us(used.postgres)} µs = ${us(used.node + used.postgres)} µs`);
    }
    log(`  ${await machineLoad()}`);
  } finally {
    await database.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
