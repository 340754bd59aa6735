/**
 * `npm run bench`: runs every benchmark as its own child process, one after the other, each with a time limit,
 * and keeps going when one fails. The data-center figures land in docs/benchmarks.md (between markers); other
 * benchmarks (bench/loyalty*.ts, bench/rules*.ts, bench/profile-view.ts) print their own figures and record them in their own sections.
 *
 *   npm run bench                       # everything, bounded to ~15 minutes
 *   npm run bench -- ingest members     # only these
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { renderFigures, writeFigures } from './lib/report.js';
import { ROOT } from './lib/server.js';

const BUDGET_MS = 14.5 * 60_000;
const OWN = [
  // N = 16: the best of a 2/4/8/16 sweep in standalone runs (`npx tsx bench/ingest.ts` sweeps when not given N).
  { name: 'ingest', file: 'bench/ingest.ts', args: ['--seconds', '15', '--known', '5000', '--concurrency', '16'], limitMs: 360_000 },
  { name: 'members', file: 'bench/members.ts', args: ['--import-timeout', '90'], limitMs: 210_000 },
  { name: 'memory', file: 'bench/memory.ts', args: ['--timeout', '240'], limitMs: 330_000 },
];
const OTHERS_LIMIT_MS = 180_000;

function others(): Array<{ name: string; file: string; limitMs: number }> {
  return fs
    .readdirSync(path.join(ROOT, 'bench'))
    .filter((f) => /^(loyalty|rules|profile-view).*\.ts$/.test(f))
    .sort()
    .map((f) => ({ name: f.replace(/\.ts$/, ''), file: `bench/${f}`, limitMs: OTHERS_LIMIT_MS }));
}

function runChild(file: string, args: string[], limitMs: number, env: NodeJS.ProcessEnv): Promise<{ code: number | null; timedOut: boolean; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    let timedOut = false;
    // The benchmark's own group (it starts servers): stop them all if it overruns.
    const timer = setTimeout(() => {
      timedOut = true;
      process.stdout.write(`\n[bench] ${file} exceeded ${Math.round(limitMs / 1000)} s: stopping it\n`);
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          /* the group is already gone */
        }
      };
      signal('SIGTERM');
      setTimeout(() => signal('SIGKILL'), 10_000).unref();
    }, limitMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, timedOut, ms: performance.now() - started });
    });
  });
}

async function main() {
  const wanted = process.argv.slice(2);
  const plan = [...OWN, ...others()].filter((b) => !wanted.length || wanted.includes(b.name));
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-bench-results-'));
  const env = { ...process.env, SIYU_BENCH_OUT: outDir };
  const started = performance.now();
  const outcomes: string[] = [];
  for (const b of plan) {
    const left = BUDGET_MS - (performance.now() - started);
    if (left < 30_000) {
      outcomes.push(`${b.name}: skipped (time budget spent)`);
      continue;
    }
    process.stdout.write(`\n[bench] ==== ${b.name} (${b.file}, limit ${Math.round(Math.min(b.limitMs, left) / 1000)} s) ====\n`);
    const r = await runChild(b.file, 'args' in b ? (b.args as string[]) : [], Math.min(b.limitMs, left), env);
    const verdict = r.timedOut ? 'stopped at its time limit' : r.code === 0 ? 'ok' : `failed (exit ${r.code})`;
    outcomes.push(`${b.name}: ${verdict} in ${(r.ms / 1000).toFixed(0)} s`);
    process.stdout.write(`[bench] ${b.name}: ${verdict} in ${(r.ms / 1000).toFixed(0)} s\n`);
  }
  const results: Record<string, Record<string, unknown>> = {};
  for (const f of fs.readdirSync(outDir)) results[f.replace(/\.json$/, '')] = JSON.parse(fs.readFileSync(path.join(outDir, f), 'utf8'));
  fs.rmSync(outDir, { recursive: true, force: true });
  const own = ['ingest', 'members', 'memory'].filter((k) => results[k]);
  if (own.length) {
    // Figures of benchmarks not run this time stay as they were (`npm run bench -- ingest` redoes only ingest).
    const lastFile = path.join(ROOT, 'bench', 'results', 'data-center.json');
    const last = fs.existsSync(lastFile) ? (JSON.parse(fs.readFileSync(lastFile, 'utf8')) as Record<string, Record<string, unknown>>) : {};
    const merged = { ...last, ...Object.fromEntries(own.map((k) => [k, results[k]!])) };
    fs.mkdirSync(path.dirname(lastFile), { recursive: true });
    fs.writeFileSync(lastFile, `${JSON.stringify(merged, null, 2)}\n`);
    writeFigures(renderFigures(merged), '## Data center (issue 3): ingest, member import, profile lookup, memory');
    process.stdout.write(`\n[bench] wrote ${own.join(', ')} figures into docs/benchmarks.md\n`);
  }
  process.stdout.write(`\n[bench] summary (${((performance.now() - started) / 60_000).toFixed(1)} min):\n  ${outcomes.join('\n  ')}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
