/**
 * First load of the console's overview on the demo brand, measured in headless Chromium with a cold cache:
 * navigation start → every card on screen with its data and every chart drawn (overviewLoaded). Baseline in the same run: the
 * sign-in page (same bundle, no data). Usage: npx tsx bench/console-overview.ts [members=10000] [runs=5]
 * Needs PostgreSQL at SIYU_TEST_POSTGRES_URL (default 127.0.0.1:5432/test); uses the schema siyu_bench_console (or BENCH_SCHEMA),
 * rebuilt each run unless BENCH_FRESH=0 (then a demo brand loaded earlier is reused). With SIYU_SCREENSHOTS=1 it
 * also saves the demo brand's main pages to docs/screenshots/ (demo-*.png). With BENCH_PGLITE=DIR it serves from an
 * embedded PGlite data folder instead, as `npm start` does (the demo brand is loaded there once and reused).
 */
import pg from 'pg';
import { ensureConsoleBuilt } from '../console/ensure-built.mjs';
import { buildServer } from '../src/apps/server/server.js';
import { openDatabase } from '../src/platform/db/database.js';
import { migrateToLatest } from '../src/platform/db/migrate.js';
import { wireModules } from '../src/modules/wiring.js';
import { DEMO_LOGIN, DEMO_WORKSPACE_ID, loadDemoBrand } from '../src/modules/demo/index.js';
import { launchBrowser, screenshotPath } from '../test/console/browser.js';

const members = Number(process.argv[2] ?? 10_000);
const runs = Number(process.argv[3] ?? 5);
const url = process.env.SIYU_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = process.env.BENCH_SCHEMA ?? 'siyu_bench_console';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  wireModules();
  const pgliteDir = process.env.BENCH_PGLITE;
  if (process.env.BENCH_FRESH !== '0' && !pgliteDir) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
  const database = pgliteDir ? await openDatabase({ dataDir: pgliteDir }) : await openDatabase({ url, schema, poolSize: 8 });
  console.log(`database: ${pgliteDir ? `PGlite in ${pgliteDir}` : `PostgreSQL, schema ${schema}`}`);
  await migrateToLatest(database.db);
  let t = performance.now();
  const loaded = await database.db.selectFrom('workspaces').select('settings').where('id', '=', DEMO_WORKSPACE_ID).executeTakeFirst();
  if ((loaded?.settings as { demoComplete?: boolean } | undefined)?.demoComplete) {
    console.log('demo brand: reusing the one loaded by an earlier run (BENCH_FRESH=0)');
  } else {
    const demo = await loadDemoBrand(database.db, { members });
    console.log(`demo brand: ${demo.members} members, ${demo.events} events, ${demo.orders} orders loaded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  t = performance.now();
  const built = ensureConsoleBuilt({ quiet: true });
  if (built) console.log(`console built in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  const app = await buildServer({ database, publicUrl: 'http://127.0.0.1', demo: true });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  const overview: number[] = [];
  const signIn: number[] = [];
  const warm: number[] = [];
  const partial: number[] = [];
  for (let i = 0; i < runs; i++) {
    // Baseline: a cold browser opening the sign-in page.
    const cold = await launchBrowser();
    const page = await cold.context.newPage();
    await page.goto(base);
    await page.locator('input[type="password"]').waitFor();
    signIn.push(await page.evaluate(() => performance.now()));
    await cold.close();

    // The overview, signed in, cold cache.
    const browser = await launchBrowser();
    const res = await browser.context.request.post(`${base}/api/v1/session`, { data: DEMO_LOGIN });
    if (!res.ok()) throw new Error(`sign-in failed: ${res.status()}`);
    const tab = await browser.context.newPage();
    await tab.goto(base);
    const settledAt = aiplRfmSettled(tab);
    overview.push(await overviewLoaded(tab));
    partial.push(await settledAt);
    await tab.reload();
    warm.push(await overviewLoaded(tab));
    await browser.close();
  }
  const o = median(overview);
  const s = median(signIn);
  console.log(`overview loaded: every card with its data, every chart drawn (cold cache), median of ${runs}: ${o.toFixed(0)} ms  [${overview.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`  of which AIPL and RFM cards settled (the earlier figure), median: ${median(partial).toFixed(0)} ms  [${partial.map((x) => x.toFixed(0)).join(', ')}]`);
  console.log(`overview reload (warm cache), median: ${median(warm).toFixed(0)} ms`);
  console.log(`baseline: sign-in page (cold cache), median: ${s.toFixed(0)} ms`);
  console.log(`ratio overview / sign-in: ${(o / s).toFixed(2)}`);
  if (process.env.SIYU_SCREENSHOTS === '1') await demoScreenshots(base);
  await app.close();
  await database.close();
}

/** With SIYU_SCREENSHOTS=1: the demo brand's overview, profiles, one 360° profile, journeys, loyalty and event schema. */
async function demoScreenshots(base: string) {
  const browser = await launchBrowser();
  await browser.context.request.post(`${base}/api/v1/session`, { data: DEMO_LOGIN });
  const page = await browser.context.newPage();
  await page.goto(base);
  await overviewLoaded(page);
  await page.screenshot({ path: screenshotPath('demo-overview'), fullPage: true }); // every card, AIPL, RFM and journeys below the fold
  await page.goto(`${base}/profiles`);
  await page.locator('.ant-table-row').first().waitFor();
  await page.screenshot({ path: screenshotPath('demo-profiles') });
  await page.locator('.ant-table-row').first().click();
  await page.getByTestId('timeline').locator('.ant-timeline-item').first().waitFor();
  await page.getByTestId('profile-extras').waitFor();
  await page.screenshot({ path: screenshotPath('demo-profile'), fullPage: true });
  // The other main pages with the demo brand's own data (the browser tests' shots show fresh, small workspaces).
  const shots: Array<[string, string, string]> = [
    ['demo-journeys', '/journeys', '.ant-table-row'],
    ['demo-loyalty-reports', '/loyalty/reports', 'canvas'],
    ['demo-event-schema', '/data/events', '.ant-table-row'],
  ];
  for (const [name, path, ready] of shots) {
    await page.goto(`${base}${path}`);
    await page.locator(ready).first().waitFor({ timeout: 60_000 }).catch(() => console.log(`  (${name}: ${ready} not seen; shot taken anyway)`));
    await page.waitForTimeout(1200); // chart entry animations
    await page.screenshot({ path: screenshotPath(name), fullPage: true });
  }
  await browser.close();
}

/**
 * The overview is loaded: every card is on screen with its data (no skeleton left, each card shows a chart or text),
 * and every chart has drawn its final picture (charts.tsx marks `data-drawn` on ECharts' `finished`; a build without
 * the mark, from before that commit, counts a chart once its canvas exists, so its figure excludes its entry animation).
 * Returns when that was (performance.now()).
 */
async function overviewLoaded(page: import('playwright-core').Page): Promise<number> {
  await page.locator('[data-testid="workspace-name"]').waitFor();
  const at = await page.waitForFunction(() => {
    if (document.querySelector('[data-testid="not-available"]')) return performance.now();
    const cards = [...document.querySelectorAll('main .ant-card')];
    const expected = ['aipl', 'rfm', 'top-journeys'].every((id) => document.querySelector(`[data-testid="${id}"]`));
    const settled = expected && cards.length > 0 && !document.querySelector('main .ant-skeleton')
      && cards.every((c) => c.querySelector('canvas') || c.querySelector('.ant-card-body')?.textContent)
      && [...document.querySelectorAll('main [data-chart]')].every((chart) => chart.getAttribute('data-drawn') === 'true');
    return settled ? performance.now() : false;
  }, undefined, { polling: 'raf' });
  return (await at.jsonValue()) as number;
}

/** The old "settled" figure (AIPL and RFM cards drawn or empty), kept to compare with earlier runs. */
async function aiplRfmSettled(page: import('playwright-core').Page): Promise<number> {
  const at = await page.waitForFunction(() => {
    const cards = [...document.querySelectorAll('[data-testid="aipl"], [data-testid="rfm"]')];
    const ok = cards.length > 0 && cards.every((c) => !c.querySelector('.ant-skeleton') && (c.querySelector('canvas') || c.querySelector('.ant-card-body')?.textContent));
    return ok ? performance.now() : false;
  }, undefined, { polling: 'raf' });
  return (await at.jsonValue()) as number;
}

await main();
