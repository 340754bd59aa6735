/**
 * Where the console's first load spends its time: one cold load of a page (default the overview, signed in to the demo
 * brand loaded by bench/console-overview.ts) under a Chromium performance trace and a V8 CPU profile, summarised:
 * the renderer main thread's self time by trace event, the CPU profile's self time by script (and, for a build with
 * source maps, by source package), the requests' waterfall and the page's paint marks.
 * Usage: npx tsx bench/console-trace.ts [--sign-in] [--runs N] [--out trace.json]
 * The console served is console/dist or SIYU_CONSOLE_DIR (build one with `sourcemap: true` to see packages).
 */
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { buildServer } from '../src/apps/server/server.js';
import { consoleDistDir } from '../src/apps/server/console.js';
import { openDatabase } from '../src/platform/db/database.js';
import { wireModules } from '../src/modules/wiring.js';
import { DEMO_LOGIN } from '../src/modules/demo/index.js';
import { CHROMIUM } from '../test/console/browser.js';

const args = process.argv.slice(2);
const signInOnly = args.includes('--sign-in');
const runs = Number(args[args.indexOf('--runs') + 1] ?? 1) || 1;
const out = args.includes('--out') ? args[args.indexOf('--out') + 1] : undefined;
const url = process.env.SIYU_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = process.env.BENCH_SCHEMA ?? 'siyu_bench_console';

// Source maps are read with source-map-js (Vite's own dependency, not the project's): without it, scripts by file.
const SourceMap = await import('source-map-js' as string).then(
  (m: { SourceMapConsumer: new (map: unknown) => { originalPositionFor(p: { line: number; column: number }): { source: string | null } } }) => m.SourceMapConsumer,
  () => undefined,
);

interface TraceEvent { name: string; cat: string; ph: string; ts: number; dur?: number; tdur?: number; pid: number; tid: number; args?: Record<string, any> }
interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }

async function main() {
  wireModules();
  const database = await openDatabase({ url, schema, poolSize: 8 });
  const app = await buildServer({ database, publicUrl: 'http://127.0.0.1', demo: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const selfByName = new Map<string, number[]>();
  const selfByScript = new Map<string, number[]>();
  const totals = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, key: string, v: number, run: number) => {
    const xs = m.get(key) ?? new Array<number>(runs).fill(0);
    xs[run] = (xs[run] ?? 0) + v;
    m.set(key, xs);
  };
  for (let run = 0; run < runs; run++) {
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ viewport: { width: 1360, height: 860 }, locale: 'zh-CN' });
    if (!signInOnly) await context.request.post(`${base}/api/v1/session`, { data: DEMO_LOGIN });
    const page = await context.newPage();
    await page.goto(`${base}/api/v1/nothing`); // same site: the console loads in this renderer
    const cdp = await context.newCDPSession(page);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 250 });
    await cdp.send('Profiler.start');
    await browser.startTracing(page, {
      categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'blink.user_timing', 'loading', 'toplevel', 'disabled-by-default-v8.compile'],
    });
    await page.goto(base);
    const done = signInOnly
      ? await page.locator('input[type="password"]').waitFor().then(() => page.evaluate(() => performance.now()))
      : await overviewLoaded(page);
    const trace = JSON.parse((await browser.stopTracing()).toString()) as { traceEvents: TraceEvent[] };
    const { profile } = (await cdp.send('Profiler.stop')) as unknown as { profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number } };
    const timing = await page.evaluate(() => ({
      nav: performance.getEntriesByType('navigation').map((e) => ({ name: 'document', start: e.startTime, end: (e as PerformanceNavigationTiming).responseEnd, size: (e as PerformanceNavigationTiming).transferSize })),
      resources: performance.getEntriesByType('resource').map((e) => ({ name: e.name.replace(location.origin, ''), start: e.startTime, end: (e as PerformanceResourceTiming).responseEnd, size: (e as PerformanceResourceTiming).transferSize, body: (e as PerformanceResourceTiming).decodedBodySize })),
      paints: performance.getEntriesByType('paint').map((e) => ({ name: e.name, at: e.startTime })),
      styles: document.querySelectorAll('style').length,
      styleBytes: [...document.querySelectorAll('style')].reduce((n, s) => n + (s.textContent?.length ?? 0), 0),
    }));
    if (out) fs.writeFileSync(out.replace(/(\.json)?$/, `-${run}.json`), JSON.stringify(trace));
    if (out) fs.writeFileSync(out.replace(/(\.json)?$/, `-${run}.cpuprofile`), JSON.stringify(profile));
    await browser.close();

    // Renderer main thread: self time by event name, between navigation and done.
    const main = trace.traceEvents.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
    const navStart = trace.traceEvents.find((e) => e.name === 'navigationStart' && e.args?.data?.documentLoaderURL?.startsWith(base));
    const mainKey = navStart ? `${navStart.pid}:${navStart.tid}` : `${main[0]?.pid}:${main[0]?.tid}`;
    const t0 = navStart?.ts ?? 0;
    const events = trace.traceEvents.filter((e) => `${e.pid}:${e.tid}` === mainKey && e.ph === 'X' && e.ts >= t0 && e.dur !== undefined).sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    // Self time: an event's thread time less its children's (events nest on one thread).
    const stack: { end: number; name: string }[] = [];
    let busy = 0;
    let busyCpu = 0;
    for (const e of events) {
      while (stack.length && stack[stack.length - 1]!.end <= e.ts) stack.pop();
      const parent = stack[stack.length - 1];
      const cpu = e.tdur ?? e.dur!;
      if (parent) push(selfByName, parent.name, -cpu, run);
      else {
        busy += e.dur!;
        busyCpu += cpu;
      }
      push(selfByName, e.name, cpu, run);
      stack.push({ end: e.ts + e.dur!, name: e.name });
    }
    push(totals, 'main thread busy, wall (trace, top-level)', busy / 1000, run);
    push(totals, 'main thread busy, thread CPU time (trace, top-level)', busyCpu / 1000, run);
    const compiling = [...selfByName].filter(([name]) => /^V8\.(Compile|ParseFunction|ParseProgram|PreParse)/.test(name)).reduce((n, [, xs]) => n + (xs[run] ?? 0), 0);
    push(totals, 'of which V8 parsing and compiling on the main thread (thread CPU)', compiling / 1000, run);
    push(totals, 'done at (performance.now)', done, run);
    for (const p of timing.paints) push(totals, p.name, p.at, run);
    push(totals, '<style> elements', timing.styles, run);
    push(totals, '<style> kB', timing.styleBytes / 1024, run);

    // CPU profile: self time by script (by source package with source maps).
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const self = new Map<number, number>();
    profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
    const maps = new Map<string, { originalPositionFor(p: { line: number; column: number }): { source: string | null } } | null>();
    const where = (frame: ProfileNode['callFrame']): string => {
      if (!frame.url) return `(${frame.functionName || 'native'})`;
      const file = frame.url.replace(base, '');
      if (!maps.has(file)) {
        const mapFile = path.join(consoleDistDir(), `${file}.map`);
        maps.set(file, fs.existsSync(mapFile) && SourceMap ? new SourceMap(JSON.parse(fs.readFileSync(mapFile, 'utf8'))) : null);
      }
      const map = maps.get(file);
      if (!map) return file.replace(/-[\w-]{8}\.js$/, '.js');
      const source = map.originalPositionFor({ line: frame.lineNumber + 1, column: frame.columnNumber }).source ?? '?';
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(?:es\/|lib\/)?([^/]+)?/.exec(source);
      return pkg ? `${pkg[1]}${pkg[1] === 'antd' || pkg[1]!.startsWith('@ant-design') || pkg[1]!.startsWith('rc-') ? `/${pkg[2]}` : ''}` : source.replace(/^.*\/console\//, 'console/');
    };
    for (const [id, t] of self) push(selfByScript, where(byId.get(id)!.callFrame), t / 1000, run);
    if (out) {
      const labels = Object.fromEntries(profile.nodes.map((n) => [`${n.callFrame.url}:${n.callFrame.lineNumber}:${n.callFrame.columnNumber}`, where(n.callFrame)]));
      fs.writeFileSync(out.replace(/(\.json)?$/, `-${run}.labels.json`), JSON.stringify(labels));
    }
    console.log(`run ${run + 1}: done at ${done.toFixed(0)} ms; requests (start → end ms, transfer kB):`);
    for (const r of [...timing.nav, ...timing.resources].sort((a, b) => a.start - b.start)) {
      console.log(`  ${r.start.toFixed(0).padStart(5)} → ${r.end.toFixed(0).padStart(5)}  ${(r.size / 1024).toFixed(1).padStart(6)}  ${r.name.slice(0, 90)}`);
    }
    console.log(`  paints: ${timing.paints.map((p) => `${p.name} ${p.at.toFixed(0)}`).join(', ')}`);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const table = (title: string, m: Map<string, number[]>, scale: number, top: number) => {
    console.log(`\n${title} (median of ${runs} runs, ms)`);
    for (const [k, xs] of [...m].sort((a, b) => med(b[1]) - med(a[1])).slice(0, top)) console.log(`  ${(med(xs) / scale).toFixed(0).padStart(6)}  ${k}`);
  };
  console.log('\nTotals (median):');
  for (const [k, xs] of totals) console.log(`  ${med(xs).toFixed(0).padStart(6)}  ${k}`);
  table('Renderer main thread, self thread-CPU time by trace event', selfByName, 1000, 25);
  table('CPU profile, self time by script / package', selfByScript, 1, 40);
  await app.close();
  await database.close();
}

async function overviewLoaded(page: import('playwright-core').Page): Promise<number> {
  await page.locator('[data-testid="workspace-name"]').waitFor();
  const at = await page.waitForFunction(() => {
    const cards = [...document.querySelectorAll('main .ant-card')];
    const expected = ['aipl', 'rfm', 'top-journeys'].every((id) => document.querySelector(`[data-testid="${id}"]`));
    const settled = expected && cards.length > 0 && !document.querySelector('main .ant-skeleton')
      && cards.every((c) => c.querySelector('canvas') || c.querySelector('.ant-card-body')?.textContent)
      && [...document.querySelectorAll('main [data-chart]')].every((chart) => chart.getAttribute('data-drawn') === 'true');
    return settled ? performance.now() : false;
  }, undefined, { polling: 'raf' });
  return (await at.jsonValue()) as number;
}

await main();
