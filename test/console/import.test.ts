import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Database } from '../../src/platform/db/database.js';
import { createWorkspace, type CreatedWorkspace } from '../../src/modules/workspaces/index.js';
import { createUser } from '../../src/modules/users/index.js';
import { lookupProfile } from '../../src/modules/profiles/index.js';
import { chromiumAvailable, clickSubmenuItem, launchBrowser, reportPageOnFailure, screenshotPath } from './browser.js';
import { startConsoleServer } from './harness.js';

const runBrowser = chromiumAvailable();

/** Data → Import in a browser: upload a members CSV, follow it to its summary, download the rejected rows. */
describe.skipIf(!runBrowser)('console import page in a browser', { timeout: 180_000 }, () => {
  let database: Database;
  let app: FastifyInstance;
  let base: string;
  let ws: CreatedWorkspace;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  reportPageOnFailure(() => page);
  const tag = `${process.pid}-${Date.now()}`;
  const owner = { email: `importer.${tag}@example.com`, password: 'importer-pass-1' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-import-e2e-'));
  const rows = 1500;

  beforeAll(async () => {
    ({ database, app, base } = await startConsoleServer({ demo: false }));
    ws = await createWorkspace(database.db, { name: '导入测试品牌' });
    await createUser(database.db, ws.id, { ...owner, role: 'owner', name: '运营' });
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.addInitScript(() => localStorage.setItem('siyu.language', 'en'));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a members CSV, shows the summary and offers the rejected rows for download', async () => {
    const lines = ['member_no,name,phone,city,joined_at'];
    for (let i = 0; i < rows; i++) lines.push(`E${tag}-${i},会员${i},139${String(i).padStart(8, '0')},上海,2026-01-05`);
    lines.push(`,无名,,北京,2026-03-01`); // line rows + 2: no identifier
    lines.push(`E${tag}-bad,坏号,12345,北京,2026-03-02`); // line rows + 3: not a phone
    const file = path.join(dir, 'members.csv');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);

    await page.goto(base);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('workspace-name').waitFor();
    await clickSubmenuItem(page, 'Data', 'Import');
    await page.getByRole('heading', { name: 'Import' }).waitFor();

    await page.getByRole('radio', { name: 'Members' }).check();
    await page.locator('input[type=file]').setInputFiles(file);
    await page.getByText('members.csv').waitFor();
    await page.getByRole('button', { name: 'Start import' }).click();
    const job = page.getByTestId('import-job');
    await job.waitFor();
    // Polled until the server says done.
    const summary = page.getByTestId('import-summary');
    await summary.waitFor({ timeout: 120_000 });
    expect(await summary.textContent()).toContain(`${(rows + 2).toLocaleString('en')} rows read, ${rows.toLocaleString('en')} imported, 0 unchanged, 2 rejected`);
    await job.getByText('Done').waitFor();
    expect(await job.getByTestId('import-encoding').textContent()).toContain('read as UTF-8');
    await page.getByTestId('recent-imports').getByRole('cell', { name: 'members.csv' }).waitFor();
    await page.screenshot({ path: screenshotPath('import'), fullPage: true });

    const [download] = await Promise.all([page.waitForEvent('download'), job.getByRole('link', { name: /Download rejected rows/ }).click()]);
    const saved = path.join(dir, 'rejects.csv');
    await download.saveAs(saved);
    const text = fs.readFileSync(saved, 'utf8');
    expect(text.startsWith('\ufeff')).toBe(true); // the byte-order mark that makes Excel read it as UTF-8
    const rejected = text.slice(1).trim().split('\n');
    expect(rejected[0]).toBe('line,reason');
    expect(rejected.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([rows + 2, rows + 3]);
    expect(rejected[1]).toContain('no identifier');

    expect((await lookupProfile(database.db, ws.id, 'member_no', `E${tag}-7`)).traits).toMatchObject({ name: '会员7', city: '上海' });

    // A row whose phone member E…-7 holds, under another member number: imported, and the page says which line and why.
    await page.getByRole('button', { name: 'Import another file' }).click();
    await page.locator('input[type=file]').setInputFiles({ name: 'conflicting.csv', mimeType: 'text/csv', buffer: Buffer.from(`member_no,name,phone\nX${tag}-1,新会员,13900000007\nX${tag}-2,另一位,13800000002\n`) });
    await page.getByRole('button', { name: 'Start import' }).click();
    const conflicted = page.getByTestId('import-summary');
    await conflicted.getByText('Import finished: 2 rows read, 2 imported, 0 unchanged, 0 rejected.').waitFor({ timeout: 60_000 });
    await conflicted.getByText('Imported with an identity conflict (an identifier another profile holds): 1.', { exact: false }).waitFor();
    expect(await page.getByTestId('import-conflicts').textContent()).toContain('1');
    const [conflictsDownload] = await Promise.all([page.waitForEvent('download'), job.getByRole('link', { name: /Download rows with a conflict/ }).click()]);
    expect(conflictsDownload.suggestedFilename()).toBe('conflicting.csv.conflicts.csv');
    const conflictsFile = path.join(dir, 'conflicts.csv');
    await conflictsDownload.saveAs(conflictsFile);
    const owner7 = (await lookupProfile(database.db, ws.id, 'member_no', `E${tag}-7`)).id;
    expect(fs.readFileSync(conflictsFile, 'utf8')).toMatch(
      new RegExp(`^\ufeffline,reason\n2,"imported with an identity conflict: phone \\+8613900000007 belongs to profile ${owner7}, which has member_no E${tag}-7 `),
    );
    await page.screenshot({ path: screenshotPath('import-conflicts'), fullPage: true });

    // Check a file only: the summary says what would import, and nothing is written.
    await page.getByRole('button', { name: 'Import another file' }).click();

    // A template for the chosen kind, in the console's language, ready for Excel.
    await page.getByRole('radio', { name: 'Orders' }).check();
    const [template] = await Promise.all([page.waitForEvent('download'), page.getByTestId('import-template').click()]);
    expect(template.suggestedFilename()).toBe('orders-template.csv');
    const templateFile = path.join(dir, 'template.csv');
    await template.saveAs(templateFile);
    expect(fs.readFileSync(templateFile, 'utf8')).toMatch(/^\ufefforder_id,member_no,phone,/);
    await page.getByRole('radio', { name: 'Members' }).check();
    await page.getByRole('checkbox', { name: 'Only check the file (write nothing)' }).check();
    await page.locator('input[type=file]').setInputFiles({ name: 'check.csv', mimeType: 'text/csv', buffer: Buffer.from(`member_no,name\nK${tag}-1,王芳\n,无名\n`) });
    await page.getByRole('button', { name: 'Check file' }).click();
    await page.getByTestId('import-summary').getByText('Check finished, nothing written: 2 rows read, 1 would import, 1 rejected.').waitFor();
    await page.getByTestId('import-job').getByText('Check only').waitFor();
    await expect(lookupProfile(database.db, ws.id, 'member_no', `K${tag}-1`)).rejects.toMatchObject({ code: 'not_found' });

    // The same page in Chinese.
    await page.getByTestId('language-switch').click();
    await page.locator('.ant-dropdown:visible').getByRole('menuitem', { name: '简体中文' }).click();
    await page.getByRole('heading', { name: '数据导入' }).waitFor();
    await page.getByText('最近的导入').waitFor();
  });
});
