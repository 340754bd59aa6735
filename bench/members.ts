/**
 * Member import and profile lookup on PostgreSQL (schema siyu_bench_import, dropped first):
 * 1. `siyu import members FILE` of a generated CSV, against a raw COPY of the same file into a bare table;
 * 2. `GET /api/v1/profiles/lookup?type=member_no&value=…` latency under concurrent load on the imported members,
 *    against `GET /healthz` (the HTTP stack's floor) under the same load.
 *
 *   npx tsx bench/members.ts [--members 200000] [--concurrency 8] [--seconds 10] [--import-timeout 300]
 *                            [--parallel N] [--chunk N]   # passed to `siyu import members` (defaults: 2, 5000)
 *                            [--rerun]                    # then import the same file again (changes nothing)
 *                            [--lookup-no-workers]        # lookups on a `siyu serve --no-workers` (no background loops)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runLoad, percentile, type LoadRequest } from './lib/load.js';
import { rng } from './lib/events.js';
import { copyCsv, fileStream, resetSchema, withClient } from './lib/pg.js';
import { log, machineLoad, round, saveResult } from './lib/results.js';
import { createWorkspaceViaCli, siyuEnv, startServer, startSiyu } from './lib/server.js';
import { MEMBER_COLUMNS as COLUMNS, memberNo, writeMembersCsv } from './lib/members-csv.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const members = arg('members', 200_000);
const concurrency = arg('concurrency', 8);
const seconds = arg('seconds', 10);
const importTimeoutMs = arg('import-timeout', 300) * 1000;
const importOptions = [...(process.argv.includes('--parallel') ? ['--parallel', String(arg('parallel', 2))] : []), ...(process.argv.includes('--chunk') ? ['--chunk', String(arg('chunk', 5000))] : [])];
const SCHEMA = 'siyu_bench_import';
/** --lookup-no-workers: measure the lookups on a `siyu serve --no-workers` (after the rules worker drained the feed). */
const LOOKUP_NO_WORKERS = process.argv.includes('--lookup-no-workers');

/** Runs the import CLI; if it outlives the timeout it is stopped and the rate comes from its last progress line. */
async function runImportCli(env: NodeJS.ProcessEnv, file: string, workspaceId: string) {
  const started = performance.now();
  const proc = startSiyu(['import', 'members', file, '--workspace', workspaceId, ...importOptions], env);
  let lastRows = 0;
  const ticker = setInterval(() => {
    const progress = [...proc.lines].reverse().find((l) => /members \[/.test(l));
    const m = progress?.match(/(\d+) rows\s+(\d+) new.*?(\d+)\/s/);
    if (m && Number(m[1]) !== lastRows) {
      lastRows = Number(m[1]);
      log(`  import: ${m[1]} rows read, ${m[2]} new, ${m[3]} rows/s`);
    }
  }, 2000);
  try {
    const done = await proc.waitFor(/^Imported members/, importTimeoutMs).catch(() => null);
    const ms = performance.now() - started;
    if (done) {
      await new Promise((resolve) => (proc.child.exitCode !== null ? resolve(null) : proc.child.once('exit', resolve)));
      const m = done.match(/(\d+) rows read, (\d+) imported.*?(\d+) rejected in ([\d.]+) s \((\d+) rows\/s\)/);
      return { completed: true, rows: Number(m?.[1] ?? 0), imported: Number(m?.[2] ?? 0), rejected: Number(m?.[3] ?? 0), commandSeconds: Number(m?.[4] ?? NaN), wallMs: ms, summary: done };
    }
    log(`  import did not finish within ${importTimeoutMs / 1000} s: stopping it and using its progress`);
    return { completed: false, rows: lastRows, imported: lastRows, rejected: 0, commandSeconds: ms / 1000, wallMs: ms, summary: proc.lines.slice(-3).join(' | ') };
  } finally {
    clearInterval(ticker);
    await proc.stop();
  }
}

/**
 * A second baseline: the floor of writing what an import writes. The rows the import stored (profiles, identifiers,
 * links, identify events, change feed) are copied server-side, one INSERT … SELECT per table, into empty copies of
 * those tables with the same indexes (no foreign keys), in one transaction: the cost of the rows and index entries
 * alone, with no parsing, staging, identity work or round trips. Rate = imported members per second of that.
 */
async function writeFloor(rows: number) {
  const tables = ['profiles', 'identifiers', 'identity_links', 'events', 'profile_changes'];
  return withClient(SCHEMA, async (c) => {
    for (const t of tables) await c.query(`CREATE TABLE floor_${t} (LIKE ${t} INCLUDING ALL)`);
    const started = performance.now();
    await c.query('BEGIN');
    for (const t of tables) await c.query(`INSERT INTO floor_${t} OVERRIDING SYSTEM VALUE SELECT * FROM ${t}`);
    await c.query('COMMIT');
    const ms = performance.now() - started;
    for (const t of tables) await c.query(`DROP TABLE floor_${t}`);
    log(`  write floor: the same rows into indexed copies of ${tables.join(', ')} in ${(ms / 1000).toFixed(2)} s = ${Math.round(rows / (ms / 1000))} members/s`);
    return { seconds: round(ms / 1000, 2), rowsPerSecond: round(rows / (ms / 1000)) };
  });
}

async function latencyRun(baseUrl: string, label: string, requests: LoadRequest[], n = concurrency) {
  const res = await runLoad({ baseUrl, requests, concurrency: n, maxMs: seconds * 1000, onProgress: (n, ms) => log(`  ${label}: ${n} requests, ${Math.round(n / (ms / 1000))}/s`) });
  if (res.failed) log(`  ${label}: ${res.failed} failed; first: ${res.firstError}`);
  return {
    requests: res.completed, failed: res.failed, perSecond: round(res.completed / (res.ms / 1000)),
    p50: round(percentile(res.latencies, 50), 2), p90: round(percentile(res.latencies, 90), 2), p99: round(percentile(res.latencies, 99), 2),
  };
}

async function main() {
  const loadBefore = await machineLoad();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-bench-members-'));
  const file = path.join(dir, 'members.csv');
  try {
    log(`members benchmark: generating ${members} members into ${file}; ${loadBefore}`);
    const bytes = writeMembersCsv(file, members);
    log(`  ${(bytes / 1e6).toFixed(1)} MB, columns ${COLUMNS.join(', ')}`);
    await resetSchema(SCHEMA);
    const env = siyuEnv({ schema: SCHEMA });
    const ws = await createWorkspaceViaCli(env, 'bench members');

    log('raw COPY baseline: the same CSV into a bare table with its columns');
    await withClient(SCHEMA, (c) => c.query(`CREATE TABLE bench_raw_members (${COLUMNS.map((c) => `${c} text`).join(', ')})`));
    const copyMs = await copyCsv(SCHEMA, 'bench_raw_members', COLUMNS, fileStream(file), true);
    const copyRate = members / (copyMs / 1000);
    log(`  raw COPY: ${members} rows in ${(copyMs / 1000).toFixed(2)} s = ${Math.round(copyRate)} rows/s`);

    log(`siyu import members (PostgreSQL, schema ${SCHEMA})`);
    const imp = await runImportCli(env, file, ws.id);
    const importRate = imp.rows / imp.commandSeconds;
    log(`  ${imp.summary}`);
    log(`  import: ${imp.rows} rows in ${imp.commandSeconds.toFixed(1)} s (command's own clock) = ${Math.round(importRate)} rows/s; wall clock incl. start-up ${(imp.wallMs / 1000).toFixed(1)} s`);

    const floor = imp.completed ? await writeFloor(imp.rows) : null;
    let rerun = null;
    if (imp.completed && process.argv.includes('--rerun')) {
      log('siyu import members of the same file again (must change nothing)');
      const again = await runImportCli(env, file, ws.id);
      rerun = { rows: again.rows, imported: again.imported, seconds: round(again.commandSeconds, 1), rowsPerSecond: round(again.rows / again.commandSeconds) };
      log(`  re-run: ${again.summary}`);
    }

    log(`profile lookup by member_no: ${concurrency} concurrent requests for ${seconds} s, vs GET /healthz`);
    let server = await startServer(env, { port: 3913 });
    let lookup;
    let health;
    const sweep: Array<{ concurrency: number; p50: number; p99: number; perSecond: number; healthz: { p50: number; p99: number; perSecond: number } }> = [];
    try {
      const known = imp.imported || members;
      const r = rng(5);
      const auth = { authorization: `Bearer ${ws.adminToken}` };
      const lookups: LoadRequest[] = Array.from({ length: 200_000 }, () => ({
        method: 'GET', path: `/api/v1/profiles/lookup?type=member_no&value=${memberNo(r.int(0, Math.max(0, known - 1)))}`, headers: auth,
      }));
      // The import left one change-feed row per member for the rules evaluator; measure once it has caught up, so the
      // figure is the lookup's own cost under concurrent lookups, not the backlog's.
      const drainStarted = performance.now();
      for (;;) {
        const pending = await withClient(SCHEMA, async (c) => (await c.query('SELECT count(*)::int AS n FROM profile_changes')).rows[0].n as number);
        if (pending === 0 || performance.now() - drainStarted > 300_000) break;
        log(`  waiting for the rules evaluator to work off the import's change feed: ${pending} profiles left`);
        await new Promise((r) => setTimeout(r, 5_000));
      }
      if (LOOKUP_NO_WORKERS) {
        // The lookups alone in the serving process: no rules, journey or loyalty loops ticking beside them.
        await server.stop();
        server = await startServer(env, { port: 3913, workers: false });
      }
      await runLoad({ baseUrl: server.url, requests: lookups.slice(0, 200), concurrency, maxMs: 10_000 }); // warm-up
      health = await latencyRun(server.url, 'healthz', Array.from({ length: 200_000 }, () => ({ method: 'GET', path: '/healthz', headers: {} })));
      lookup = await latencyRun(server.url, 'lookup', lookups.slice(200));
      log(`  lookup: p50 ${lookup.p50} ms, p99 ${lookup.p99} ms, ${lookup.perSecond}/s; /healthz: p50 ${health.p50} ms, p99 ${health.p99} ms, ${health.perSecond}/s`);
      for (const n of [1, 4]) {
        if (n >= concurrency) continue;
        const res = await latencyRun(server.url, `lookup N=${n}`, lookups.slice(200), n);
        const floor = await latencyRun(server.url, `healthz N=${n}`, Array.from({ length: 200_000 }, () => ({ method: 'GET', path: '/healthz', headers: {} })), n);
        sweep.push({ concurrency: n, ...res, healthz: floor });
        log(`  lookup at N=${n}: p50 ${res.p50} ms, p99 ${res.p99} ms, ${res.perSecond}/s; /healthz: p50 ${floor.p50} ms, p99 ${floor.p99} ms`);
      }
    } finally {
      await server.stop();
    }
    const result = {
      date: new Date().toISOString(),
      machine: { before: loadBefore, after: await machineLoad() },
      members, csvMb: round(bytes / 1e6, 1),
      import: { ...imp, options: importOptions.join(' ') || 'defaults (--parallel 2 --chunk 5000)', rowsPerSecond: round(importRate) },
      rawCopy: { rows: members, seconds: round(copyMs / 1000, 2), rowsPerSecond: round(copyRate) },
      importToRawCopy: round(importRate / copyRate, 3),
      writeFloor: floor,
      rerun,
      importToWriteFloor: floor ? round(importRate / floor.rowsPerSecond, 3) : null,
      lookup: { concurrency, seconds, ...lookup },
      lookupSweep: sweep,
      healthz: health,
      lookupP99ToHealthzP99: round(lookup.p99 / health.p99, 2),
    };
    log(`RESULT members: import ${result.import.rowsPerSecond} rows/s (×${result.importToRawCopy} of raw COPY ${result.rawCopy.rowsPerSecond} rows/s${floor ? `, ×${result.importToWriteFloor} of the write floor ${floor.rowsPerSecond}/s` : ''}); lookup p50 ${lookup.p50} ms p99 ${lookup.p99} ms at N=${concurrency}`);
    saveResult('members', result);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
