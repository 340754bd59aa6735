import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Database } from '../../src/platform/db/database.js';
import { createWorkspace, type CreatedWorkspace } from '../../src/modules/workspaces/index.js';
import { createUser } from '../../src/modules/users/index.js';
import { chromiumAvailable, launchBrowser, reportPageOnFailure } from './browser.js';
import { startConsoleServer } from './harness.js';

const runBrowser = chromiumAvailable();

/**
 * A coupon's validity dates are days of the workspace's calendar (Asia/Shanghai), also for an operator whose browser
 * is elsewhere (Los Angeles, 16 hours behind): the form shows the days the coupon runs, and saves days.
 */
describe.skipIf(!runBrowser)('coupon validity dates in a browser in another time zone', { timeout: 120_000 }, () => {
  let database: Database;
  let app: FastifyInstance;
  let base: string;
  let ws: CreatedWorkspace;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  reportPageOnFailure(() => page);
  const owner = { email: `owner.${process.pid}.${Date.now()}@example.com`, password: 'owner-pass-1' };

  beforeAll(async () => {
    ({ database, app, base } = await startConsoleServer({ demo: false }));
    ws = await createWorkspace(database.db, { name: '澜肌 LANJI' });
    await createUser(database.db, ws.id, { ...owner, role: 'owner', name: '会员运营' });
    browser = await launchBrowser({ timezoneId: 'America/Los_Angeles' });
    page = await browser.context.newPage();
    await page.addInitScript(() => localStorage.setItem('siyu.language', 'en'));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
  });

  it('shows the days a template runs and saves the days chosen', async () => {
    const created = await app.inject({ method: 'POST', url: '/api/v1/loyalty/coupon-templates', headers: { authorization: `Bearer ${ws.adminToken}` },
      payload: { name: '双十二券', kind: 'fixed', amount: 20, validFrom: '2026-12-01', validUntil: '2026-12-31' } });
    expect(created.statusCode, created.body).toBe(201);
    // Stored as Shanghai's days: Nov 30 16:00 UTC (Nov 30, 08:00 in Los Angeles) to the end of Dec 31 there.
    expect(created.json()).toMatchObject({ validFrom: '2026-11-30T16:00:00.000Z', validUntil: '2026-12-31T15:59:59.999Z' });

    await page.goto(base);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('workspace-name').waitFor();
    await page.goto(`${base}/loyalty/coupons`);
    await page.getByTestId('coupon-templates').getByRole('row', { name: /双十二券/ }).getByRole('button', { name: 'Edit' }).click();
    const edit = page.locator('.ant-modal-wrap:visible');
    const [start, end] = [edit.getByPlaceholder('Start date'), edit.getByPlaceholder('End date')];
    expect([await start.inputValue(), await end.inputValue()]).toEqual(['2026-12-01', '2026-12-31']);

    await end.click();
    await end.fill('2027-01-15');
    await end.press('Enter');
    await edit.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved').waitFor();
    const saved = await database.db.selectFrom('coupon_templates').select(['valid_from', 'valid_until']).where('workspace_id', '=', ws.id).executeTakeFirstOrThrow();
    expect(saved).toEqual({ valid_from: new Date('2026-11-30T16:00:00.000Z'), valid_until: new Date('2027-01-15T15:59:59.999Z') });
  });
});
