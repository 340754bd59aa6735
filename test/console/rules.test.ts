import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Database } from '../../src/platform/db/database.js';
import { createWorkspace, type CreatedWorkspace } from '../../src/modules/workspaces/index.js';
import { createUser } from '../../src/modules/users/index.js';
import { chromiumAvailable, clickSubmenuItem, launchBrowser, reportPageOnFailure, screenshotPath } from './browser.js';
import { startConsoleServer } from './harness.js';

const runBrowser = chromiumAvailable();

/**
 * Tags and segments in a browser: build a segment with the rule builder (errors on the node, live estimate), save
 * it, page its members, read its trend; the overlap matrix; the event schema; an analyst reads but cannot write.
 */
describe.skipIf(!runBrowser)('console tags and segments in a browser', { timeout: 180_000 }, () => {
  let database: Database;
  let app: FastifyInstance;
  let base: string;
  let ws: CreatedWorkspace;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  reportPageOnFailure(() => page);
  const tag = `${process.pid}-${Date.now()}`;
  const owner = { email: `owner.${tag}@example.com`, password: 'owner-pass-1' };
  const analyst = { email: `analyst.${tag}@example.com`, password: 'analyst-pass-1' };
  const admin = () => ({ authorization: `Bearer ${ws.adminToken}` });
  let segmentId = '';

  beforeAll(async () => {
    ({ database, app, base } = await startConsoleServer({ demo: false }));
    ws = await createWorkspace(database.db, { name: '澜肌 LANJI' });
    await createUser(database.db, ws.id, { ...owner, role: 'owner', name: '运营负责人' });
    await createUser(database.db, ws.id, { ...analyst, role: 'analyst', name: '数据分析师' });
    await seed();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.addInitScript(() => localStorage.setItem('siyu.language', 'en'));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
  });

  /** 25 Shanghai members (the first 8 viewed a product lately), 10 in Beijing; a rule tag for Beijing; a manual tag. */
  async function seed() {
    const at = (minutesAgo: number) => new Date(Date.now() - minutesAgo * 60_000).toISOString();
    const batch: Record<string, unknown>[] = [];
    for (let i = 0; i < 35; i++) {
      const city = i < 25 ? '上海' : '北京';
      batch.push({ type: 'identify', userId: `m-${tag}-${i}`, traits: { name: `会员${i}`, city, plan: i % 2 ? 'gold' : 'silver' }, timestamp: at(120), messageId: `rules-e2e-${tag}-id-${i}` });
      if (i < 8 || i >= 30) batch.push({ type: 'track', userId: `m-${tag}-${i}`, event: 'Product Viewed', properties: { sku: 'LJ-SERUM-30', price: 398 }, timestamp: at(30), messageId: `rules-e2e-${tag}-pv-${i}` });
    }
    const res = await app.inject({ method: 'POST', url: '/v1/batch', headers: { authorization: `Basic ${Buffer.from(`${ws.writeKey}:`).toString('base64')}` }, payload: { batch } });
    expect(res.statusCode).toBe(200);
    const group = (await app.inject({ method: 'POST', url: '/api/v1/tag-groups', headers: admin(), payload: { name: '基础信息', category: 'basic' } })).json() as { id: string };
    const beijing = await app.inject({ method: 'POST', url: '/api/v1/tags', headers: admin(),
      payload: { groupId: group.id, name: '北京用户', rule: { version: 1, condition: { kind: 'trait', trait: 'city', type: 'string', op: 'eq', value: '北京' } } } });
    expect(beijing.json()).toMatchObject({ size: 10 });
    const viewers = await app.inject({ method: 'POST', url: '/api/v1/tags', headers: admin(),
      payload: { groupId: group.id, name: '近期浏览', rule: { version: 1, condition: { kind: 'event', event: 'Product Viewed', window: { type: 'last_days', days: 7 } } } } });
    expect(viewers.json()).toMatchObject({ size: 13 });
    expect((await app.inject({ method: 'POST', url: '/api/v1/tags', headers: admin(), payload: { groupId: group.id, name: 'KOC 种子用户' } })).statusCode).toBe(201);
  }

  async function signIn(who: { email: string; password: string }) {
    await page.goto(base);
    await page.getByLabel('Email').fill(who.email);
    await page.getByLabel('Password').fill(who.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('workspace-name').waitFor();
  }

  const estimate = (size: number) => page.locator(`[data-testid="rule-estimate"][data-size="${size}"]`).waitFor();
  const chooseOption = async (title: string) => {
    await page.locator('.ant-select-dropdown:visible').getByTitle(title, { exact: true }).click();
    await page.locator('.ant-select-dropdown:visible').waitFor({ state: 'detached' });
  };

  it('builds a segment with the rule builder: errors on the node, live estimate, save, members, trend, export', async () => {
    await signIn(owner);
    await page.getByRole('menuitem', { name: 'Segments' }).click();
    await page.getByRole('button', { name: 'New segment' }).click();
    await page.getByLabel('Name', { exact: true }).fill('上海近期浏览');
    await page.getByRole('button', { name: 'Add condition' }).click();

    // The new trait condition has no trait name yet: the server's validation error shows on that node.
    const first = page.getByTestId('rule-condition').nth(0);
    await first.getByTestId('rule-node-error').waitFor();
    expect(await first.getByTestId('rule-node-error').textContent()).toContain('Trait');
    await first.getByLabel('Trait', { exact: true }).fill('city');
    await first.getByLabel('Value', { exact: true }).fill('上海');
    await estimate(25);
    expect(await first.getByTestId('rule-node-error').count()).toBe(0);

    // A second condition of another kind: performed "Product Viewed" in the last 30 days → the estimate narrows.
    await page.getByRole('button', { name: 'Add condition' }).click();
    const second = page.getByTestId('rule-condition').nth(1);
    await second.locator('.ant-select').first().click();
    await chooseOption('Event performed');
    await second.getByRole('combobox', { name: 'Event', exact: true }).fill('Product Viewed');
    await estimate(8);
    // OR widens it: Shanghai or recent viewers.
    await page.getByTestId('rule-group').first().getByText('OR', { exact: true }).click();
    await estimate(30);
    await page.getByTestId('rule-group').first().getByText('AND', { exact: true }).click();
    await estimate(8);
    await page.screenshot({ path: screenshotPath('segment-builder'), fullPage: true });

    await page.getByTestId('save-segment').click();
    await page.getByTestId('segment-title').waitFor();
    expect(await page.getByTestId('segment-title').textContent()).toBe('上海近期浏览');
    expect(await page.getByTestId('segment-size').textContent()).toBe('8');
    segmentId = new URL(page.url()).pathname.split('/')[2]!;
    const stored = await database.db.selectFrom('segments').select(['name', 'rule', 'size']).where('workspace_id', '=', ws.id).where('id', '=', segmentId).executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ name: '上海近期浏览', size: 8, rule: { version: 1, condition: { kind: 'and', conditions: [{ kind: 'trait', trait: 'city', op: 'eq', value: '上海' }, { kind: 'event', event: 'Product Viewed' }] } } });

    const members = page.getByTestId('segment-members');
    await members.getByRole('cell', { name: '会员0', exact: true }).waitFor();
    expect(await members.locator('tbody tr.ant-table-row').count()).toBe(8);
    await page.getByRole('img', { name: 'Entered and exited' }).waitFor();
    await page.locator('canvas').first().waitFor();

    await page.getByRole('button', { name: 'Export CSV' }).click();
    const href = await page.getByTestId('export-download').getAttribute('href');
    expect(href).toContain(`/api/v1/segments/${segmentId}/export?`);
    const csv = await page.evaluate(async (url) => (await fetch(url!)).text(), href);
    expect(csv.trim().split('\n')).toHaveLength(9);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.ant-modal-wrap:visible').waitFor({ state: 'detached' });
    await page.locator('.ant-message-notice').first().waitFor({ state: 'detached' });
    await page.screenshot({ path: screenshotPath('segment'), fullPage: true });
  });

  it('pages members on the server', async () => {
    await page.goto(`${base}/segments/new`);
    await page.getByLabel('Name', { exact: true }).fill('上海会员');
    await page.getByRole('button', { name: 'Add condition' }).click();
    const first = page.getByTestId('rule-condition').nth(0);
    await first.getByLabel('Trait', { exact: true }).fill('city');
    await first.getByLabel('Value', { exact: true }).fill('上海');
    await estimate(25);
    await page.getByTestId('save-segment').click();
    await page.getByTestId('segment-title').waitFor();
    const rows = page.getByTestId('segment-members').locator('tbody tr.ant-table-row');
    await rows.nth(19).waitFor();
    expect(await rows.count()).toBe(20);
    await page.getByTestId('members-next').click();
    await page.getByText('Page 2').waitFor();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="segment-members"] tbody tr.ant-table-row').length === 5);
    expect(await page.getByTestId('members-next').isDisabled()).toBe(true);

    // A snapshot freezes the members as a static segment.
    // The form is filled (mounted) before Create is clicked, and the request's answer is checked, so that a failure
    // says whether the click, the server or the page went wrong (CI once timed out here, under full-suite load).
    await page.getByRole('button', { name: 'Save snapshot' }).click();
    const snapshotModal = page.locator('.ant-modal-wrap:visible');
    await expect.poll(() => snapshotModal.getByLabel('Name', { exact: true }).inputValue()).toMatch(/上海会员 snapshot/);
    const created = page.waitForResponse((r) => r.url().endsWith('/api/v1/segments/static') && r.request().method() === 'POST');
    await snapshotModal.getByRole('button', { name: 'Create' }).click();
    const response = await created;
    expect(response.status(), await response.text()).toBe(201);
    await page.getByTestId('segment-title').getByText(/上海会员 snapshot/).waitFor();
    expect(await page.getByTestId('segment-size').textContent()).toBe('25');
    await page.getByText('Static segment', { exact: true }).waitFor();

    // A static segment from an uploaded CSV of user ids (one unknown).
    await page.getByRole('menuitem', { name: 'Segments' }).click();
    await page.getByRole('button', { name: 'Static segment from CSV' }).click();
    const modal = page.locator('.ant-modal-wrap:visible');
    await modal.getByLabel('Name', { exact: true }).fill('活动名单');
    await modal.locator('input[type=file]').setInputFiles({ name: 'list.csv', mimeType: 'text/csv', buffer: Buffer.from(`userId\nm-${tag}-1\nm-${tag}-2\nghost-${tag}\n`) });
    await modal.getByText('list.csv').waitFor();
    await modal.getByRole('button', { name: 'Create' }).click();
    await page.getByText('Static segment created: 2 profiles, 1 rows unmatched').waitFor();
    await page.getByTestId('segment-title').getByText('活动名单').waitFor();
    expect(await page.getByTestId('segment-size').textContent()).toBe('2');

    await page.getByRole('menuitem', { name: 'Segments' }).click();
    const table = page.getByTestId('segments-table');
    await table.getByRole('row', { name: /上海会员/ }).first().getByText('25', { exact: true }).waitFor();
    await page.locator('.ant-message-notice').first().waitFor({ state: 'detached' });
    await page.screenshot({ path: screenshotPath('segments') });
  });

  it('shows the tags with groups and the overlap matrix of chosen tags and segments', async () => {
    await page.getByRole('menuitem', { name: 'Tags' }).click();
    const tags = page.getByTestId('tags-table');
    await tags.getByRole('row', { name: /北京用户/ }).getByText('10', { exact: true }).waitFor();
    await tags.getByRole('row', { name: /KOC 种子用户/ }).waitFor();
    await page.getByPlaceholder('Search tag names').fill('北京');
    await page.getByPlaceholder('Search tag names').press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="tags-table"] tbody tr.ant-table-row').length === 1);
    await page.getByPlaceholder('Search tag names').fill('');
    await page.getByPlaceholder('Search tag names').press('Enter');
    await tags.getByRole('row', { name: /KOC 种子用户/ }).waitFor();
    await page.screenshot({ path: screenshotPath('tags') });

    await page.getByRole('tab', { name: 'Overlap' }).click();
    await page.getByTestId('overlap-choose').click();
    for (const name of ['北京用户', '近期浏览', '上海近期浏览']) {
      await page.locator('.ant-select-dropdown:visible').getByTitle(name, { exact: true }).click();
    }
    await page.keyboard.press('Escape');
    await page.getByTestId('overlap-compute').click();
    const result = page.getByTestId('overlap-result');
    await result.getByRole('img', { name: 'Overlap matrix' }).waitFor();
    // 近期浏览 (13) and 上海近期浏览 (8): 8 in both, 13 in either; 北京用户 (10) and 近期浏览: 5 in both, 18 in either.
    await result.getByRole('row', { name: /近期浏览 × 上海近期浏览|上海近期浏览 × 近期浏览/ }).getByText('61.5%', { exact: true }).waitFor();
    await result.getByRole('row', { name: /北京用户 × 近期浏览/ }).getByText('27.8%', { exact: true }).waitFor();
    await result.getByRole('row', { name: /北京用户 × 上海近期浏览/ }).getByText('0%', { exact: true }).waitFor();
    await page.screenshot({ path: screenshotPath('overlap'), fullPage: true });
  });

  it('builds a rule tag and sees its size; tags a profile by hand and in bulk from a CSV', async () => {
    await page.goto(`${base}/tags`);
    await page.getByRole('button', { name: 'New tag' }).click();
    await page.getByLabel('Name', { exact: true }).fill('金卡会员');
    await page.getByText('Rule tag (computed from a rule)').click();
    await page.getByRole('button', { name: 'Add condition' }).click();
    const first = page.getByTestId('rule-condition').nth(0);
    await first.getByLabel('Trait', { exact: true }).fill('plan');
    await first.getByLabel('Value', { exact: true }).fill('gold');
    await estimate(17);
    // NOT around the condition: the complement.
    await first.getByRole('button', { name: 'Negate (NOT)' }).click();
    await page.getByTestId('rule-not').waitFor();
    await estimate(18);
    await page.getByRole('button', { name: 'Remove the NOT' }).click();
    await estimate(17);
    await page.screenshot({ path: screenshotPath('tag-builder'), fullPage: true });
    await page.getByTestId('save-tag').click();
    await page.getByText('17 profiles', { exact: true }).waitFor();
    expect(await page.getByTestId('tag-title').textContent()).toBe('金卡会员');
    const stored = await database.db.selectFrom('tags').select(['kind', 'rule']).where('workspace_id', '=', ws.id).where('name', '=', '金卡会员').executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ kind: 'rule', rule: { condition: { kind: 'and', conditions: [{ kind: 'trait', trait: 'plan', op: 'eq', value: 'gold' }] } } });

    // A manual tag: one profile by its userId, then a CSV of two more (one unknown).
    await page.goto(`${base}/tags`);
    await page.getByTestId('tags-table').getByRole('link', { name: 'KOC 种子用户' }).click();
    await page.getByText('Manual tagging').waitFor();
    await page.locator('.ant-form-item', { hasText: 'Find by' }).locator('.ant-select').click();
    await chooseOption('userId');
    await page.getByLabel('Profile ID or identifier value').fill(`m-${tag}-3`);
    await page.getByTestId('apply-tag').click();
    await page.getByText(/Tag applied to profile \d+/).waitFor();
    // Saved by Excel on Chinese Windows: GBK, where the values 张三 and 上海 are these bytes.
    const gbkCsv = Buffer.concat([
      Buffer.from(`userId,value\nm-${tag}-4,`), Buffer.from('d5c5c8fd', 'hex'), Buffer.from(`\nm-${tag}-5,`), Buffer.from('c9cfbaa3', 'hex'), Buffer.from(`\nnobody-${tag},C\n`),
    ]);
    await page.locator('input[type=file]').setInputFiles({ name: 'koc.csv', mimeType: 'text/csv', buffer: gbkCsv });
    await page.getByTestId('csv-result').getByText('Applied to 2, removed from 0, 1 rows unmatched').waitFor();
    const values = await database.db.selectFrom('tag_assignments as a').innerJoin('tags as t', (j) => j.onRef('t.workspace_id', '=', 'a.workspace_id').onRef('t.id', '=', 'a.tag_id'))
      .select('a.value').where('a.workspace_id', '=', ws.id).where('t.name', '=', 'KOC 种子用户').where('a.source', '=', 'import').execute();
    expect(values.map((v) => v.value).sort()).toEqual(['上海', '张三'].sort());
    await page.getByText('3 profiles', { exact: true }).waitFor();
    await page.getByRole('cell', { name: 'CSV import' }).first().waitFor();
    await page.locator('.ant-message-notice').first().waitFor({ state: 'detached' });
    await page.screenshot({ path: screenshotPath('tag-manual'), fullPage: true });
  });

  it('browses the event schema', async () => {
    await clickSubmenuItem(page, 'Data', 'Event schema');
    await page.waitForURL(/\/data\/events$/); // if the menu click is lost, say so here rather than as a missing row
    const row = page.getByTestId('event-schema').getByRole('row', { name: /Product Viewed/ });
    await row.getByText('13', { exact: true }).waitFor();
    await row.getByText('sku', { exact: true }).waitFor();
    await page.screenshot({ path: screenshotPath('event-schema') });
  });

  it('lets an analyst read and estimate, with no write actions', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByText('Sign out').click();
    await page.getByLabel('Email').waitFor();
    await signIn(analyst);
    await page.getByRole('menuitem', { name: 'Segments' }).click();
    await page.getByTestId('segments-table').getByRole('row', { name: /上海近期浏览/ }).waitFor();
    expect(await page.getByRole('button', { name: 'New segment' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Edit rule' }).count()).toBe(0);

    await page.goto(`${base}/segments/new`);
    await page.getByText('Your role is read-only').waitFor();
    await page.getByRole('button', { name: 'Add condition' }).click();
    const first = page.getByTestId('rule-condition').nth(0);
    await first.getByLabel('Trait', { exact: true }).fill('city');
    await first.getByLabel('Value', { exact: true }).fill('北京');
    await estimate(10);
    expect(await page.getByTestId('save-segment').count()).toBe(0);

    // A nested OR group of other kinds (lifecycle, consent) under a NOT, then the same builder in Chinese.
    await page.getByRole('button', { name: 'Add group' }).click();
    const nested = page.getByTestId('rule-group').nth(1);
    await nested.getByTestId('rule-condition').nth(0).locator('.ant-select').first().click();
    await chooseOption('Lifecycle (AIPL)');
    await nested.getByRole('button', { name: 'Add condition' }).click();
    await nested.getByTestId('rule-condition').nth(1).locator('.ant-select').first().click();
    await chooseOption('Consent');
    await nested.getByRole('button', { name: 'Negate (NOT)' }).first().click();
    await page.getByTestId('rule-not').waitFor();
    await page.locator('[data-testid="rule-estimate"][data-size]').waitFor();
    expect(await page.getByTestId('rule-node-error').count()).toBe(0);
    const rule = await page.evaluate(() => document.querySelectorAll('[data-testid="rule-condition"]').length);
    expect(rule).toBe(3);
    await page.getByTestId('language-switch').click();
    await page.locator('.ant-dropdown:visible').getByRole('menuitem', { name: '简体中文' }).click();
    await page.getByText('不满足以下条件').waitFor();
    await page.locator('.ant-dropdown:visible').waitFor({ state: 'detached' });
    await page.screenshot({ path: screenshotPath('segment-builder-zh'), fullPage: true });
    await page.getByTestId('language-switch').click();
    await page.locator('.ant-dropdown:visible').getByRole('menuitem', { name: 'English' }).click();
    await page.getByText('None of this holds').waitFor();

    await page.goto(`${base}/tags?tab=overlap`);
    await page.getByTestId('overlap-choose').click();
    for (const name of ['北京用户', '上海近期浏览']) await page.locator('.ant-select-dropdown:visible').getByTitle(name, { exact: true }).click();
    await page.keyboard.press('Escape');
    await page.getByTestId('overlap-compute').click();
    await page.getByTestId('overlap-result').getByRole('img', { name: 'Overlap matrix' }).waitFor();
    await page.goto(`${base}/tags`);
    await page.getByTestId('tags-table').getByRole('row', { name: /北京用户/ }).waitFor();
    expect(await page.getByRole('button', { name: 'New tag' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Archive' }).count()).toBe(0);
  });
});
