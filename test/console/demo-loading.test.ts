import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Database } from '../../src/platform/db/database.js';
import { createWorkspace } from '../../src/modules/workspaces/index.js';
import { createUser } from '../../src/modules/users/index.js';
import { chromiumAvailable, launchBrowser, reportPageOnFailure, screenshotPath } from './browser.js';
import { startConsoleServer } from './harness.js';

const runBrowser = chromiumAvailable();

/**
 * On first start the demo brand loads while the console already answers: the sign-in page and every page after it
 * say how far the load has got, and once it has finished offer a reload.
 */
describe.skipIf(!runBrowser)('the console while the demo brand loads', { timeout: 120_000 }, () => {
  let database: Database;
  let app: FastifyInstance;
  let base: string;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  reportPageOnFailure(() => page);
  let progress: { step: 'members' | 'lifecycle'; members: number; totalMembers: number } | null = { step: 'members', members: 2500, totalMembers: 10000 };
  const owner = { email: `owner.${process.pid}.${Date.now()}@example.com`, password: 'owner-pass-1' };

  beforeAll(async () => {
    ({ database, app, base } = await startConsoleServer({ demo: true, demoProgress: () => progress }));
    const ws = await createWorkspace(database.db, { name: '澜肌 LANJI' });
    await createUser(database.db, ws.id, { ...owner, role: 'owner', name: '会员运营' });
    browser = await launchBrowser();
    page = await browser.context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
  });

  it('shows the progress on the sign-in page and inside, then offers a reload when the load has finished', async () => {
    await page.goto(base);
    const banner = page.getByTestId('demo-loading');
    await expect.poll(() => banner.textContent(), { timeout: 20_000 }).toContain('2,500 / 10,000');
    expect(await banner.textContent()).toContain('25%');
    await page.screenshot({ path: screenshotPath('demo-loading-sign-in') });

    await page.getByLabel('邮箱').fill(owner.email);
    await page.getByLabel('密码').fill(owner.password);
    await page.getByRole('button', { name: /登\s*录/ }).click();
    await page.getByTestId('workspace-name').waitFor({ timeout: 20_000 });
    // The banner follows the load (polled every 3 s): members written, then the history computed.
    progress = { step: 'lifecycle', members: 10000, totalMembers: 10000 };
    await expect.poll(() => page.getByTestId('demo-loading').textContent(), { timeout: 20_000 }).toContain('生命周期');
    await page.screenshot({ path: screenshotPath('demo-loading-overview') });
    progress = null;
    await page.getByTestId('demo-loaded').waitFor({ timeout: 20_000 });
    expect(await page.getByTestId('demo-loading').count()).toBe(0);
    await Promise.all([page.waitForEvent('load'), page.getByTestId('demo-loaded').getByRole('button', { name: '刷新页面' }).click()]);
    await page.getByTestId('workspace-name').waitFor({ timeout: 20_000 });
    // After the reload nothing is loading: no banner at all.
    expect(await page.getByTestId('demo-loaded').count()).toBe(0);
    expect(await page.getByTestId('demo-loading').count()).toBe(0);
  });
});
