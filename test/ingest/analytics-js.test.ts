import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Database } from '../../src/platform/db/database.js';
import { chromiumAvailable, launchBrowser, reportPageOnFailure } from '../console/browser.js';
import { buildTestServer, newWorkspace } from '../support/app.js';
import { openTestDatabase, testDatabaseKinds } from '../support/databases.js';
import { profileOf, timeline } from '../support/ingest.js';

const runBrowser = chromiumAvailable();
const UMD = path.resolve('node_modules/@segment/analytics-next/dist/umd');

/**
 * The real analytics.js (@segment/analytics-next's browser bundle) in Chromium, on a web page of another origin than
 * Siyu's, pointed at Siyu by its settings' apiHost: what a brand's website or H5 page does. It posts to the short
 * paths (/v1/t, /v1/i, /v1/p…, or /v1/b when batching) with text/plain bodies, and reads each answer, which the
 * browser shows it only when the answer allows the page's origin.
 */
describe.skipIf(!runBrowser)('the real analytics.js in a browser, on a page of another origin', { timeout: 120_000 }, () => {
  let database: Database;
  let app: FastifyInstance;
  let api: string;
  let site: http.Server;
  let siteUrl: string;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  reportPageOnFailure(() => page);

  beforeAll(async () => {
    database = await openTestDatabase(testDatabaseKinds()[0] ?? 'pglite');
    app = await buildTestServer(database);
    await app.listen({ port: 0, host: '127.0.0.1' });
    api = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    // The brand's site: a page and the analytics.js bundle (with the chunks it loads from beside itself).
    site = http.createServer((req, res) => {
      const name = (req.url ?? '/').split('?')[0]!;
      if (name === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>澜肌</title><script src="/ajs/index.js"></script>');
        return;
      }
      const file = path.join(UMD, path.basename(name));
      if (!name.startsWith('/ajs/') || !fs.existsSync(file)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(fs.readFileSync(file));
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://localhost:${(site.address() as AddressInfo).port}/`; // localhost: not Siyu's 127.0.0.1 origin
    browser = await launchBrowser();
    page = await browser.context.newPage(); // each run opens its own, where nothing may leave the machine (CI has no internet)
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => site?.close(resolve));
    await app?.close();
    await database?.close();
  });

  /** Loads analytics.js with Siyu as its Segment.io destination, runs the calls, and waits for their deliveries. */
  async function runOnPage(writeKey: string, batching: boolean) {
    const failed: string[] = [];
    const answers: Array<{ url: string; status: number }> = [];
    // A fresh page per run: a call the last page left in flight is aborted when it goes, and is not this run's.
    await page.close();
    page = await browser.context.newPage();
    await page.route('**/*', (route) => (/^http:\/\/(127\.0\.0\.1|localhost):/.test(route.request().url()) ? route.continue() : route.abort()));
    // Only calls to Siyu count (analytics.js may also send its own telemetry to Segment, which CI cannot reach), and
    // only refusals: a browser that hides an answer from the page (CORS) fails the call with net::ERR_FAILED.
    page.on('requestfailed', (r) => r.url().includes(api) && r.failure()?.errorText !== 'net::ERR_ABORTED' && failed.push(`${r.url()}: ${r.failure()?.errorText ?? ''}`));
    page.on('response', (r) => r.url().includes(api) && answers.push({ url: new URL(r.url()).pathname, status: r.status() }));
    await page.goto(siteUrl);
    await page.evaluate(
      async ({ writeKey, api, batching }) => {
        const { AnalyticsBrowser } = (window as unknown as { AnalyticsNext: { AnalyticsBrowser: { load: (...a: unknown[]) => Promise<[Record<string, (...a: unknown[]) => Promise<unknown>>]> } } }).AnalyticsNext;
        const segmentio = { apiKey: writeKey, apiHost: `${api}/v1`, protocol: 'http', ...(batching ? { deliveryStrategy: { strategy: 'batching', config: { size: 4, timeout: 100 } } } : {}) };
        const [analytics] = await AnalyticsBrowser.load({ writeKey, cdnSettings: { integrations: { 'Segment.io': segmentio } } }, { disableClientPersistence: true });
        await analytics.page!('Home', { path: '/' });
        await analytics.track!('Product Viewed', { sku: 'LJ-SERUM-30', price: 398 });
        await analytics.identify!(`web-${writeKey.slice(-6)}`, { name: '林晓', email: `lin-${writeKey.slice(-6)}@example.com` });
        await analytics.track!('Added to Cart', { sku: 'LJ-SERUM-30' });
      },
      { writeKey, api, batching },
    );
    return { failed, answers };
  }

  it('delivers page, track and identify through /v1/p, /v1/t and /v1/i, each answer readable by the page', async () => {
    const ws = await newWorkspace(database);
    const { failed, answers } = await runOnPage(ws.writeKey, false);
    expect(failed).toEqual([]);
    expect(answers.map((a) => `${a.url} ${a.status}`)).toEqual(['/v1/p 200', '/v1/t 200', '/v1/i 200', '/v1/t 200']);
    const profile = await profileOf(app, ws.adminToken, 'email', `lin-${ws.writeKey.slice(-6)}@example.com`);
    expect(profile.traits).toMatchObject({ name: '林晓' });
    // The anonymous page view and first track joined the person once she identified.
    const events = await timeline(app, ws.adminToken, profile.id);
    expect(events.map((e) => `${e.type} ${e.event ?? ''}`).sort()).toEqual(['identify ', 'page Home', 'track Added to Cart', 'track Product Viewed']);
    expect(events.find((e) => e.event === 'Product Viewed')).toMatchObject({ properties: { sku: 'LJ-SERUM-30', price: 398 } });
  });

  it('delivers through /v1/b when analytics.js batches', async () => {
    const ws = await newWorkspace(database);
    const { failed, answers } = await runOnPage(ws.writeKey, true);
    expect(failed).toEqual([]);
    expect(answers).toEqual([{ url: '/v1/b', status: 200 }]);
    await expect.poll(async () => (await timeline(app, ws.adminToken, (await profileOf(app, ws.adminToken, 'email', `lin-${ws.writeKey.slice(-6)}@example.com`).catch(() => ({ id: 0 }))).id).catch(() => [])).length, { timeout: 20_000 }).toBe(4);
  });
});
