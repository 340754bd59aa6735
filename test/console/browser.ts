import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`); never a downloaded browser. */
export const CHROMIUM = process.env.SIYU_CHROMIUM ?? '/usr/bin/chromium';

/** Without Chromium the browser tests skip on a workstation but fail under CI, where .ci/run installs it. */
export function chromiumAvailable(): boolean {
  if (fs.existsSync(CHROMIUM)) return true;
  if (process.env.CI === 'true') throw new Error(`Chromium is missing at ${CHROMIUM}: install it with apt-get install -y chromium`);
  return false;
}

/** A headless Chromium with a fresh profile directory, removed on close. */
export async function launchBrowser(opts: { timezoneId?: string } = {}): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1360, height: 860 },
    locale: 'zh-CN',
    ...(opts.timezoneId ? { timezoneId: opts.timezoneId } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Screenshots go to docs/screenshots with SIYU_SCREENSHOTS=1 (npm run screenshots), else to a temp folder. */
export function screenshotPath(name: string): string {
  const dir = process.env.SIYU_SCREENSHOTS === '1' ? path.resolve('docs/screenshots') : path.join(os.tmpdir(), 'siyu-screenshots');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}

/** An element's box once it has stopped moving (two reads 100 ms apart agree), e.g. after a canvas fits its view. */
export async function settledBox(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  let last = await locator.boundingBox();
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await locator.boundingBox();
    if (now && last && now.x === last.x && now.y === last.y && now.width === last.width) return now;
    last = now;
  }
  throw new Error('element kept moving for 5 s');
}

/**
 * After a failed test, saves a screenshot and fails once more with what the page showed (its address and text), so
 * a CI log, which keeps no screenshots, still says what the browser saw.
 */
export function reportPageOnFailure(currentPage: () => Page | undefined): void {
  afterEach(async (context) => {
    const page = currentPage();
    if (context.task.result?.state !== 'fail' || !page || page.isClosed()) return;
    const name = context.task.name.slice(0, 40).replace(/\W+/g, '-');
    await page.screenshot({ path: screenshotPath(`failed-${name}`), fullPage: true }).catch(() => undefined);
    const text = await page.locator('body').innerText({ timeout: 2_000 }).catch((error: Error) => `(no text: ${error.message})`);
    throw new Error(`what the page showed when "${context.task.name}" failed, at ${page.url()}:\n${text.replace(/\n{2,}/g, '\n').slice(0, 3_000)}`);
  });
}

/**
 * Clicks a menu item inside a submenu (Data → Import): the submenu is expanded only when the item is hidden. It may
 * already be open (an earlier step went there, and antd keeps it open): clicking its title again would close it,
 * and the item's click would then miss (the event-schema step's failures of sessions 12 and 14).
 */
export async function clickSubmenuItem(page: Page, submenu: string, item: string): Promise<void> {
  const target = page.getByRole('menuitem', { name: item });
  if (!(await target.isVisible())) await page.getByRole('menuitem', { name: submenu }).click();
  await target.click();
}
