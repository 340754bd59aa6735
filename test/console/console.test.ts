import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Database } from '../../src/platform/db/database.js';
import { createWorkspace, type CreatedWorkspace } from '../../src/modules/workspaces/index.js';
import { createUser, DEMO_LOGIN } from '../../src/modules/users/index.js';
import { chromiumAvailable, clickSubmenuItem, launchBrowser, reportPageOnFailure, screenshotPath } from './browser.js';
import { startConsoleServer } from './harness.js';

const runBrowser = chromiumAvailable();

/**
 * The console end to end: the real server in-process on a random port, a real database, headless Chromium.
 * Runs on one database (the first configured): the storage paths are covered by the API tests on both.
 */
// A loaded 2-core machine can make one browser step take seconds: the tests wait for states, never for time.
describe.skipIf(!runBrowser)('console in a browser', { timeout: 120_000 }, () => {
  let database: Database;
  let app: FastifyInstance;
  let base: string;
  let ws: CreatedWorkspace;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  reportPageOnFailure(() => page);
  let apiPaths: string[];
  const customerEmail = `zhang.wei.${process.pid}@example.com`;
  const visitorId = `visitor-${process.pid}`;

  beforeAll(async () => {
    ({ database, app, base } = await startConsoleServer({ demo: true }));
    ws = await createWorkspace(database.db, { name: '私域演示品牌' });
    await createUser(database.db, ws.id, { ...DEMO_LOGIN, role: 'owner', name: '演示用户' });
    apiPaths = Object.keys(((await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, unknown> }).paths);
    browser = await launchBrowser();
    page = await browser.context.newPage();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
  });

  it('serves the console at / with an SPA fallback, and keeps API paths as JSON', async () => {
    const deep = await fetch(`${base}/profiles/123`);
    expect(deep.headers.get('content-type')).toContain('text/html');
    expect(await deep.text()).toContain('<div id="root">');
    const api = await fetch(`${base}/api/v1/nothing-here`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: 'not_found' } });
    expect((await fetch(`${base}/healthz`)).headers.get('content-type')).toContain('json');
    expect((await fetch(`${base}/%E0%A4%A`)).status).toBe(400);
    const html = await (await fetch(`${base}/`)).text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const js = await fetch(`${base}${script}`);
    expect(js.headers.get('cache-control')).toContain('immutable');
    expect((await fetch(`${base}/`)).headers.get('cache-control')).toBe('no-cache');

    // Assets go out precompressed (the variant the browser accepts), with the same type and cache headers.
    const plain = await fetch(`${base}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect(plain.headers.get('content-encoding')).toBeNull();
    const plainText = await plain.text();
    for (const encoding of ['br', 'gzip']) {
      const packed = await fetch(`${base}${script}`, { headers: { 'accept-encoding': encoding } });
      expect(packed.headers.get('content-encoding')).toBe(encoding);
      expect(packed.headers.get('content-type')).toContain('text/javascript');
      expect(packed.headers.get('vary')).toContain('accept-encoding');
      expect(packed.headers.get('cache-control')).toContain('immutable');
      expect(await packed.text()).toBe(plainText); // fetch decodes it
    }
    expect((await fetch(`${base}${script}`, { headers: { 'accept-encoding': 'br;q=0, gzip' } })).headers.get('content-encoding')).toBe('gzip');
    // The first screens' antd styles come as a file built with the console (console/build-plugins.ts), and the entry
    // chunk asks V8 to compile it whole on a background thread.
    const css = /href="(\/assets\/antd-[^"]+\.css)"/.exec(html)?.[1];
    const cssAnswer = await fetch(`${base}${css}`);
    expect(cssAnswer.headers.get('content-type')).toContain('text/css');
    expect(await cssAnswer.text()).toContain('data-ant-cssinjs-cache-path');
    expect(plainText.startsWith('//# allFunctionsCalledOnLoad\n')).toBe(true);
    // The early requests start before the stylesheet (a script after one waits for it), and name the charts chunk
    // the build wrote.
    expect(html.indexOf('__siyuPrefetch')).toBeLessThan(html.indexOf('rel="stylesheet"'));
    const charts = /var charts = '([^']+)'/.exec(html)?.[1];
    expect(charts).toMatch(/^\/assets\/charts-[\w-]+\.js$/);
    expect((await fetch(`${base}${charts}`)).headers.get('content-type')).toContain('text/javascript');
  });

  it('signs in with the demo login shown on the sign-in page (zh-CN by default)', async () => {
    await page.goto(base);
    await page.getByText('登录私域控制台').waitFor();
    await page.getByTestId('demo-login').waitFor();
    // antd found every style of this page in the build's antd CSS file and built none at run time.
    expect(await page.locator('style[data-css-hash]').count()).toBe(0);
    await page.screenshot({ path: screenshotPath('sign-in') });
    await page.getByRole('button', { name: '使用演示账号' }).click();
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByTestId('workspace-name').waitFor();
    expect(await page.getByTestId('workspace-name').textContent()).toBe(ws.name);
    await page.getByRole('menuitem', { name: '概览' }).waitFor();
    // Nor for the layout and the overview's cards, once every card has its data.
    await page.getByTestId('top-journeys').waitFor();
    await page.locator('main .ant-skeleton').first().waitFor({ state: 'detached' });
    expect(await page.locator('style[data-css-hash]').evaluateAll((styles) => styles.map((s) => s.textContent?.slice(0, 60)))).toEqual([]);
    await page.screenshot({ path: screenshotPath('overview') });
  });

  it('switches the language to English and remembers it', async () => {
    await switchLanguage('English');
    await page.getByRole('menuitem', { name: 'Overview' }).waitFor();
    await page.reload();
    await page.getByRole('menuitem', { name: 'Profiles' }).waitFor();
    expect(await page.evaluate(() => localStorage.getItem('siyu.language'))).toBe('en');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
  });

  it('creates a write key (secret shown once) and revokes it', async () => {
    await clickSubmenuItem(page, 'Data', 'Keys & tokens');
    await page.getByText('Write keys (data collection)').waitFor();
    await page.getByRole('button', { name: 'New key' }).click();
    await page.getByLabel('Name').fill('mini-program key');
    await page.getByRole('button', { name: 'Create' }).click();
    const secret = (await page.getByTestId('new-secret').textContent())?.trim() ?? '';
    expect(secret).toMatch(/^wk_/);
    await page.getByRole('button', { name: 'Close' }).first().click();
    const row = page.getByTestId('write-keys').getByRole('row', { name: /mini-program key/ });
    await row.getByText('Active').waitFor();
    await page.locator('.ant-modal-wrap:visible').waitFor({ state: 'detached' });
    await page.screenshot({ path: screenshotPath('keys') });

    await row.getByRole('button', { name: /Revoke/ }).click();
    await page.getByRole('tooltip').getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('Revoked').waitFor();
    const stored = await database.db.selectFrom('api_keys').select(['revoked_at']).where('workspace_id', '=', ws.id).where('name', '=', 'mini-program key').executeTakeFirstOrThrow();
    expect(stored.revoked_at).not.toBeNull();
  });

  it('finds a profile and reads its timeline (or says the profiles API is not there yet)', async () => {
    const hasProfiles = apiPaths.includes('/api/v1/profiles') && apiPaths.includes('/api/v1/profiles/{id}/events') && apiPaths.includes('/v1/batch');
    if (hasProfiles) await ingestCustomer();
    await page.getByRole('menuitem', { name: 'Profiles' }).click();
    if (!hasProfiles) {
      await page.getByTestId('not-available').waitFor();
      return;
    }
    await page.getByPlaceholder(/Search by phone/).fill(customerEmail);
    await page.getByPlaceholder(/Search by phone/).press('Enter');
    await page.getByRole('cell', { name: '张伟' }).click();
    await page.getByTestId('profile-title').waitFor();
    expect(await page.getByTestId('profile-title').textContent()).toContain('张伟');
    await page.getByTestId('timeline').getByText('Product Viewed').waitFor();
    await page.getByTestId('timeline').getByText('Coupon Claimed').waitFor();
    await page.locator('.ant-message-notice').first().waitFor({ state: 'detached' });
    await page.screenshot({ path: screenshotPath('profile'), fullPage: true });
    await switchLanguage('简体中文');
    await page.getByText('时间线').waitFor();
    await page.screenshot({ path: screenshotPath('profile-zh'), fullPage: true });
    await switchLanguage('English');
  });

  it('lists identified people by default and anonymous visitors apart, named as such', async () => {
    if (!apiPaths.includes('/api/v1/profiles')) return;
    await page.getByRole('menuitem', { name: 'Profiles' }).click();
    const firstRow = page.locator('.ant-table-tbody tr.ant-table-row').first();
    await firstRow.getByText('张伟').waitFor();
    expect(await page.locator('.ant-table-tbody').getByText(visitorId).count()).toBe(0);
    await page.getByTestId('profile-kind').getByText('Anonymous visitors').click();
    await firstRow.getByText(`anonymousId: ${visitorId}`).waitFor();
    expect(await firstRow.locator('td').nth(1).textContent()).toBe('Anonymous visitor');
    expect(await page.locator('.ant-table-tbody').getByText('张伟').count()).toBe(0);
  });

  it('names the identifier types and adds a custom one with its priority and limit', async () => {
    await clickSubmenuItem(page, 'Data', 'Identifier settings');
    await page.getByRole('cell', { name: /Member number\s*member_no/ }).waitFor();
    const type = `douyin_${process.pid}`;
    await page.getByTestId('identifier-new-type').fill('douyin openid');
    await page.getByTestId('identifier-add').click();
    await page.getByText('Starts with a letter; letters, digits and _ only (up to 64)').waitFor();
    await page.getByTestId('identifier-new-type').fill(type);
    // The rule's message leaves with an animation that moves the form: click once it is gone (a clean-clone run's
    // click landed while it moved, and nothing was submitted).
    await page.getByText('Starts with a letter; letters, digits and _ only (up to 64)').waitFor({ state: 'detached' });
    await page.getByLabel('Priority (new)').fill('45');
    await page.getByLabel('Limit per profile (new)').fill('2');
    const [saved] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith(`/api/v1/identifier-settings/${type}`) && r.request().method() === 'PUT'),
      page.getByTestId('identifier-add').click(),
    ]);
    expect(saved.status()).toBe(200);
    await page.getByText(`Saved the settings of ${type}`).waitFor();
    await page.getByRole('cell', { name: type }).waitFor();
    const stored = await app.inject({ method: 'GET', url: '/api/v1/identifier-settings', headers: { authorization: `Bearer ${ws.adminToken}` } });
    expect((stored.json() as { data: unknown[] }).data).toContainEqual({ type, priority: 45, maxPerProfile: 2, isDefault: false });
  });

  it('opens the journeys and loyalty pages from the menu, and the team page', async () => {
    for (const [menu, shot] of [['Journeys', 'journeys'], ['Loyalty', 'loyalty']] as const) {
      await page.getByRole('menuitem', { name: menu }).click();
      await page.getByRole('heading', { name: menu }).waitFor();
      await page.locator('.ant-card, .ant-table').first().waitFor();
      expect(await page.getByTestId('not-available').count()).toBe(0);
      await page.screenshot({ path: screenshotPath(shot) });
    }
    await page.getByRole('menuitem', { name: 'Team' }).click();
    await page.getByRole('cell', { name: DEMO_LOGIN.email }).waitFor();
    await page.screenshot({ path: screenshotPath('team') });
  });

  it('signs out', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByText('Sign out').click();
    await page.getByText('Sign in to the Siyu console').waitFor();
    const me = await page.evaluate(async () => (await fetch('/api/v1/me')).status);
    expect(me).toBe(401);
  });

  it('asks which workspace to open when the email and password belong to several', async () => {
    const other = await createWorkspace(database.db, { name: `第二品牌 ${process.pid}` });
    const email = `two.brands.${process.pid}@example.com`;
    await createUser(database.db, ws.id, { email, password: 'two-brands-pass', role: 'analyst' });
    await createUser(database.db, other.id, { email, password: 'two-brands-pass', role: 'owner' });
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('two-brands-pass');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const choice = page.getByTestId('workspace-choice');
    await choice.getByText('This email and password open several workspaces').waitFor();
    await choice.getByRole('button', { name: ws.name }).waitFor();
    await choice.getByRole('button', { name: other.name }).click();
    await page.getByTestId('workspace-name').filter({ hasText: other.name }).waitFor();
    expect(await page.evaluate(async () => ((await (await fetch('/api/v1/me')).json()) as { workspace: { id: string } }).workspace.id)).toBe(other.id);
  });

  async function switchLanguage(label: 'English' | '简体中文') {
    await page.getByTestId('language-switch').click();
    await page.locator('.ant-dropdown:visible').getByRole('menuitem', { name: label }).click();
    await page.locator('.ant-dropdown:visible').waitFor({ state: 'detached' });
  }

  async function ingestCustomer() {
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const batch = [
      { type: 'identify', userId: `m-${process.pid}`, traits: { name: '张伟', email: customerEmail, city: '上海' }, timestamp: at(60), messageId: `e2e-${process.pid}-1` },
      { type: 'track', userId: `m-${process.pid}`, event: 'Product Viewed', properties: { sku: 'SK-100', price: 129 }, timestamp: at(30), messageId: `e2e-${process.pid}-2` },
      { type: 'track', userId: `m-${process.pid}`, event: 'Coupon Claimed', properties: { coupon: 'NEW20' }, timestamp: at(10), messageId: `e2e-${process.pid}-3` },
      { type: 'page', anonymousId: visitorId, name: 'Landing', timestamp: at(5), messageId: `e2e-${process.pid}-4` },
    ];
    const res = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Basic ${Buffer.from(`${ws.writeKey}:`).toString('base64')}` }, payload: { batch } });
    expect(res.statusCode).toBe(200);
  }
});
