/**
 * Memory of `siyu serve` with the demo brand: RSS (and peak RSS) once the log says "demo brand loaded", then after
 * a burst of requests (lookups, profile lists, ingest batches). PGlite in a fresh data folder, and PostgreSQL in
 * schema siyu_bench_memory (dropped first). The two servers run side by side to keep the run short: their speed
 * is not measured here, only their memory. Baseline in the same run: RSS of the same server started with --no-demo.
 *
 *   npx tsx bench/memory.ts [--timeout 480] [--only pglite|postgres]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { basicAuth, runLoad, type LoadRequest } from './lib/load.js';
import { rng, trafficMessage } from './lib/events.js';
import { resetSchema, withClient } from './lib/pg.js';
import { log, machineLoad, round, saveResult } from './lib/results.js';
import { siyuEnv, startServer } from './lib/server.js';
// @ts-expect-error: a plain .mjs build script without type declarations
import { distIsCurrent, ensureDistBuilt } from '../bin/server-build.mjs';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const timeoutMs = Number(arg('timeout', '480')) * 1000;
const only = arg('only', '');
const DEMO_WRITE_KEY = 'wk_demo_lanji_write_key';
const DEMO_ADMIN_TOKEN = 'at_demo_lanji_admin_token';

async function burst(baseUrl: string) {
  const r = rng(3);
  const admin = { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` };
  const reads: LoadRequest[] = Array.from({ length: 2000 }, (_, k) =>
    k % 10 === 0
      ? { method: 'GET', path: '/api/v1/profiles?limit=50', headers: admin }
      : { method: 'GET', path: `/api/v1/profiles/lookup?type=member_no&value=LJ${100000 + r.int(0, 9999)}`, headers: admin },
  );
  const now = Date.now();
  const writes: LoadRequest[] = Array.from({ length: 50 }, (_, b) => ({
    method: 'POST', path: '/v1/batch', headers: { authorization: basicAuth(DEMO_WRITE_KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ batch: Array.from({ length: 100 }, (_, j) => trafficMessage(b * 100 + j, `mem${now}`, 1000, r, now)) }),
  }));
  const [a, b] = await Promise.all([runLoad({ baseUrl, requests: reads, concurrency: 4, maxMs: 30_000 }), runLoad({ baseUrl, requests: writes, concurrency: 2, maxMs: 30_000 })]);
  return { reads: a.completed, readFailures: a.failed, batches: b.completed, batchFailures: b.failed, firstError: a.firstError ?? b.firstError };
}

async function measure(label: string, bareEnv: NodeJS.ProcessEnv, env: NodeJS.ProcessEnv, port: number) {
  log(`${label}: baseline, siyu serve --no-demo on an empty database (${distIsCurrent() ? 'compiled server, dist/' : 'sources through tsx: dist/ is stale'})`);
  const bare = await startServer(bareEnv, { port });
  await new Promise((r) => setTimeout(r, 3000));
  const bareRss = bare.rssMb();
  await bare.stop();
  log(`${label}: RSS without the demo ${Math.round(bareRss)} MB; now siyu serve with the demo brand`);

  const server = await startServer(env, { port, demo: true });
  const started = performance.now();
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, server.rssMb());
    const progress = [...server.lines].reverse().find((l) => l.includes('loading the demo brand'));
    const m = progress?.match(/(\d+)\/(\d+) members, (\d+) events/);
    if (m) log(`  ${label}: ${m[1]}/${m[2]} members, ${m[3]} events, RSS ${Math.round(server.rssMb())} MB`);
  }, 5000);
  try {
    const loaded = await server.waitFor(/demo brand loaded/, timeoutMs).then(() => true, () => false);
    const loadSeconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 2000));
    const afterLoad = server.rssMb();
    log(`  ${label}: ${loaded ? `demo loaded in ${loadSeconds.toFixed(0)} s` : `demo NOT loaded within ${timeoutMs / 1000} s`}; RSS ${Math.round(afterLoad)} MB`);
    if (!loaded) await explainStall(label, server.lines);
    const b = await burst(server.url);
    const afterRequests = server.rssMb();
    const peakRss = Math.max(peak, server.peakRssMb());
    log(`  ${label}: after ${b.reads} reads and ${b.batches} ingest batches: RSS ${Math.round(afterRequests)} MB, peak ${Math.round(peakRss)} MB`);
    return { loaded, loadSeconds: round(loadSeconds), bareRssMb: round(bareRss), afterLoadRssMb: round(afterLoad), afterRequestsRssMb: round(afterRequests), peakRssMb: round(peakRss), burst: b };
  } finally {
    clearInterval(sampler);
    await server.stop();
  }
}

/** A demo load that overran: the server's last lines and what every database session is doing, to tell a wait from work. */
async function explainStall(label: string, lines: string[]) {
  for (const l of lines.slice(-8)) log(`  ${label} log: ${l.slice(0, 300)}`);
  const activity = await withClient(null, (c) =>
    c.query(`SELECT pid, state, wait_event_type, wait_event, round(extract(epoch FROM now() - query_start)) AS secs, left(query, 160) AS query
             FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state <> 'idle'`),
  ).catch((err: Error) => ({ rows: [{ error: err.message }] }));
  for (const row of activity.rows) log(`  ${label} session: ${JSON.stringify(row)}`);
}

async function main() {
  // As `npm start` runs it: from the compiled server when the sources have not changed since (bin/server-build.mjs).
  await ensureDistBuilt({ quiet: true });
  const loadBefore = await machineLoad();
  log(`memory benchmark: demo brand (10,000 members), ${loadBefore}`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-bench-memory-'));
  try {
    await resetSchema('siyu_bench_memory_bare');
    await resetSchema('siyu_bench_memory');
    // Each server gets a fresh database: the baseline's own, then the demo's.
    const [bareDir, demoDir] = [path.join(dataDir, 'bare'), path.join(dataDir, 'demo')];
    const runs: Array<Promise<[string, Awaited<ReturnType<typeof measure>>]>> = [];
    if (only !== 'postgres') runs.push(measure('PGlite', siyuEnv({ dataDir: bareDir }), siyuEnv({ dataDir: demoDir }), 3914).then((r) => ['pglite', r]));
    if (only !== 'pglite') {
      const pg = measure('PostgreSQL', siyuEnv({ schema: 'siyu_bench_memory_bare' }), siyuEnv({ schema: 'siyu_bench_memory' }), 3915);
      runs.push(pg.then((r) => ['postgres', r]));
    }
    const results = Object.fromEntries(await Promise.all(runs));
    const result = { date: new Date().toISOString(), machine: { before: loadBefore, after: await machineLoad() }, ...results };
    log(`RESULT memory: ${Object.entries(results).map(([k, r]) => `${k} ${r.afterLoadRssMb} MB after the demo load, ${r.afterRequestsRssMb} MB after requests, peak ${r.peakRssMb} MB (no demo: ${r.bareRssMb} MB)`).join('; ')}`);
    saveResult('memory', result);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
