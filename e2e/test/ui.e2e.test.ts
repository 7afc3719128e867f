/**
 * The dashboard in a real browser against a real hub: log in, see this machine live.
 * Screenshots land in test-artifacts/ for a person to look at.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS, chromiumMissing, launchBrowser, startHubProcess, type HubProcess } from '../src/index.js';

const missing = chromiumMissing();
if (missing !== null) console.warn(`SKIPPING browser tests: ${missing}`);
const UI_DIST = fileURLToPath(new URL('../../ui/dist/index.html', import.meta.url));

describe.skipIf(missing !== null)('dashboard in chromium', () => {
  let hub: HubProcess;
  let browser: Browser;

  beforeAll(async () => {
    expect(existsSync(UI_DIST), 'ui/dist is missing: run `pnpm --filter @sitrep/ui build` (scripts/test.sh does)').toBe(true);
    hub = await startHubProcess(['--node', 'browser-node', '--interval', '1']);
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
  });

  it('refuses a wrong password with a clear message', async () => {
    const page = await browser.newPage();
    await page.goto(hub.url);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'wrong-password');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('[data-testid=login-error]'), { timeout: 10_000 }).toMatch(/password/i);
    await page.screenshot({ path: `${ARTIFACTS}login-refused.png` });
    await page.close();
  });

  it('logs in and shows this machine live with its metrics', async () => {
    const page = await browser.newPage();
    await page.goto(hub.url);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', hub.adminPassword);
    await page.click('button[type=submit]');
    const card = page.locator('[data-testid=node-card][data-node=browser-node]');
    await card.waitFor({ timeout: 15_000 });
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('online');
    await expect.poll(() => page.textContent('[data-testid=connection-state]')).toBe('connected');
    for (const meter of ['cpu', 'ram', 'disk']) {
      await expect.poll(() => card.locator(`[data-testid=${meter}]`).textContent(), { timeout: 10_000 }).toMatch(/\d+(\.\d+)? %/);
    }
    await page.screenshot({ path: `${ARTIFACTS}fleet.png`, fullPage: true });
    await page.close();
  });
});
