import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import type { Database } from '../../src/platform/db/database.js';
import { createWorkspace, type CreatedWorkspace } from '../../src/modules/workspaces/index.js';
import { createUser } from '../../src/modules/users/index.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { createTag, createTagGroup } from '../../src/modules/tags/index.js';
import { chromiumAvailable, launchBrowser, reportPageOnFailure } from './browser.js';
import { startConsoleServer } from './harness.js';

/**
 * A tag's CSV upload in a browser says which encoding the file was read in, and refuses a file the importer would
 * not guess (Western Excel's "CSV", whose accented letters read as GBK only by accident) instead of storing garble.
 */
describe.skipIf(!chromiumAvailable())('CSV uploads in the console: the encoding used, or why not', { timeout: 180_000 }, () => {
  let database: Database;
  let app: FastifyInstance;
  let base: string;
  let ws: CreatedWorkspace;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  reportPageOnFailure(() => page);
  const tag = `${process.pid}-${Date.now()}`;
  const owner = { email: `csv.${tag}@example.com`, password: 'csv-encoding-pass-1' };
  let tagId = '';

  beforeAll(async () => {
    ({ database, app, base } = await startConsoleServer({ demo: false }));
    ws = await createWorkspace(database.db, { name: '编码测试品牌' });
    await createUser(database.db, ws.id, { ...owner, role: 'owner', name: '运营' });
    await ingestMessages(database.db, ws.id, [1, 2].map((i) => ({ type: 'identify', userId: `c-${tag}-${i}`, traits: { name: `n${i}` }, messageId: `csv-${tag}-${i}` })));
    const group = await createTagGroup(database.db, ws.id, { name: '导入', category: 'custom' });
    tagId = (await createTag(database.db, ws.id, { groupId: group.id, name: '城市' })).id;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.addInitScript(() => localStorage.setItem('siyu.language', 'en'));
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await database?.close();
  });

  it('shows GB18030 for a GBK file, and refuses a Windows-1252 file with what to do', async () => {
    await page.goto(base);
    await page.getByLabel('Email').fill(owner.email);
    await page.getByLabel('Password').fill(owner.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('workspace-name').waitFor();
    await page.goto(`${base}/tags/${tagId}`);
    await page.getByText('Manual tagging').waitFor();

    // Western Excel's "CSV": Genève and Renée in Windows-1252, which GBK would read as Chinese characters.
    const western = Buffer.from(`userId,value\nc-${tag}-1,Genève\nc-${tag}-2,Renée\n`, 'latin1');
    await page.locator('input[type=file]').setInputFiles({ name: 'west.csv', mimeType: 'text/csv', buffer: western });
    await page.getByText(/not UTF-8, and would read as GBK only by accident/).waitFor();
    expect(await page.getByTestId('csv-result').count()).toBe(0);
    const none = await database.db.selectFrom('tag_assignments').select('value').where('workspace_id', '=', ws.id).where('tag_id', '=', tagId).execute();
    expect(none).toEqual([]);

    // Excel's "CSV" on Chinese Windows: GBK, where 上海 is these bytes.
    const gbk = Buffer.concat([Buffer.from(`userId,value\nc-${tag}-1,`), Buffer.from('c9cfbaa3', 'hex'), Buffer.from('\n')]);
    await page.locator('input[type=file]').setInputFiles({ name: 'cn.csv', mimeType: 'text/csv', buffer: gbk });
    await page.getByTestId('csv-result').getByText('Applied to 1, removed from 0, 0 rows unmatched').waitFor();
    expect(await page.getByTestId('csv-encoding').textContent()).toBe('The file was read as GB18030');
    const values = await database.db.selectFrom('tag_assignments').select('value').where('workspace_id', '=', ws.id).where('tag_id', '=', tagId).execute();
    expect(values.map((v) => v.value)).toEqual(['上海']);
  });
});
