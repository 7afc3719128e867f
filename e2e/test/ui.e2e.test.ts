/**
 * The dashboard in a real browser against a real hub and a real agent supervising a real process:
 * log in (and stay logged in across a reload), see the node, watch a killed process turn red and
 * come back green, restart it from the ui as an operator, and check that a viewer sees no action.
 * Screenshots of every page land in test-artifacts/ for a person to look at.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityStore } from '@sitrep/broker';
import { ARTIFACTS, chromiumMissing, launchBrowser, SITREP_BIN, startHubProcess, type HubProcess } from '../src/index.js';

const missing = chromiumMissing();
if (missing !== null) console.warn(`SKIPPING browser tests: ${missing}`);
const UI_DIST = fileURLToPath(new URL('../../ui/dist/index.html', import.meta.url));

const NODE = 'web-1';
const PROC = 'sleeper';
const cellSelector = (light: string) => `[data-testid=service-cell][data-node=${NODE}][data-service=${PROC}][data-light=${light}]`;

describe.skipIf(missing !== null)('dashboard in chromium', () => {
  let hub: HubProcess;
  let dataDir: string;
  let agent: ResultPromise;
  let browser: Browser;
  const creds = { viewer: '', operator: '' };

  beforeAll(async () => {
    expect(existsSync(UI_DIST), 'ui/dist is missing: run `pnpm --filter @sitrep/ui build` (scripts/test.sh does)').toBe(true);
    dataDir = mkdtempSync(join(tmpdir(), 'sitrep-ui-e2e-'));
    const ids = IdentityStore.open(join(dataDir, 'identities.json'));
    creds.viewer = await ids.add('vera', 'viewer');
    creds.operator = await ids.add('otto', 'operator');
    const agentPassword = await ids.add(`agent-${NODE}`, 'agent', { node: NODE });
    hub = await startHubProcess(['--node', 'browser-node', '--interval', '1'], dataDir);
    const config = join(dataDir, 'agent.yaml');
    writeFileSync(
      config,
      [
        `node: ${NODE}`,
        'broker:',
        `  url: ${hub.mqttUrl}`,
        `  username: agent-${NODE}`,
        `  password: ${agentPassword}`,
        'interval: 1s',
        `stateDir: ${join(dataDir, 'agent-state')}`,
        'updates: { enabled: false }',
        'processes:',
        `  - id: ${PROC}`,
        // argv, not a shell line from anywhere: a loop that logs a line a second.
        '    command: [/bin/sh, -c, "while :; do echo tick; sleep 1; done"]',
        '    actions: [restart, stop, start, kill]',
        'probes:',
        '  - id: hub-http',
        '    name: hub answers HTTP',
        '    schedule: 5s',
        `    probe: { type: http, url: "${hub.url}healthz" }`,
        '    actions: [run]',
      ].join('\n'),
    );
    agent = execa('node', [SITREP_BIN, 'agent', '--config', config], { all: true, reject: false });
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    agent?.kill('SIGINT');
    await agent;
    await hub?.stop();
  });

  async function login(page: Page, username: string, password: string): Promise<void> {
    await page.goto(hub.url);
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
    await page.locator('[data-testid=connection-state]', { hasText: /^connected$/ }).waitFor({ timeout: 15_000 });
  }

  /** The pid of the supervised process, from its row on the host page. */
  async function sleeperPid(page: Page): Promise<number> {
    const row = page.locator(`[data-testid=host-service][data-service=${PROC}]`);
    await row.locator('td.tabular').first().filter({ hasText: /\d+/ }).waitFor({ timeout: 15_000 });
    return Number(await row.locator('td.tabular').first().textContent());
  }

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

  it('logs in, shows this machine live with its metrics, and stays logged in across a reload', async () => {
    const page = await browser.newPage();
    await login(page, 'admin', hub.adminPassword);
    const card = page.locator('[data-testid=node-card][data-node=browser-node]');
    await card.waitFor({ timeout: 15_000 });
    await expect.poll(() => card.getAttribute('data-state'), { timeout: 10_000 }).toBe('online');
    for (const meter of ['cpu', 'ram', 'disk']) {
      await expect.poll(() => card.locator(`[data-testid=${meter}]`).textContent(), { timeout: 10_000 }).toMatch(/\d+(\.\d+)? %/);
    }
    expect(await page.textContent('[data-testid=role]')).toBe('operator');
    await page.reload();
    await page.locator('[data-testid=connection-state]', { hasText: /^connected$/ }).waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid=login-form]').count()).toBe(0);
    await card.waitFor({ timeout: 15_000 });
    await page.close();
  });

  it('turns a killed process red at once and green again when the supervisor restarts it', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await login(page, 'otto', creds.operator);
    await page.locator(cellSelector('healthy')).waitFor({ timeout: 20_000 });
    await page.locator('[data-testid=count-online] .n', { hasText: '2' }).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}overview.png`, fullPage: true });

    await page.goto(`${hub.url}#/hosts/${NODE}`);
    const pid = await sleeperPid(page);
    await page.goto(`${hub.url}#/`);
    await page.locator(cellSelector('healthy')).waitFor({ timeout: 10_000 });
    process.kill(pid, 'SIGKILL');
    // The bound: red within 2 s of the kill (the agent sees the exit at once).
    await page.locator(cellSelector('down')).waitFor({ timeout: 2_000 });
    await page.screenshot({ path: `${ARTIFACTS}overview-process-down.png` });
    // The supervisor restarts it after its first backoff step (about 1 s).
    await page.locator(cellSelector('healthy')).waitFor({ timeout: 15_000 });
    await page.close();
  });

  it('lets an operator restart the process from the host page and shows the result', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await login(page, 'otto', creds.operator);
    await page.locator(`[data-testid=node-card][data-node=${NODE}] [data-testid=host-link]`).click();
    await page.locator(`[data-testid=host-page][data-node=${NODE}]`).waitFor();
    const before = await sleeperPid(page);
    const actions = page.locator(`[data-testid=actions][data-target=${PROC}]`);
    await actions.locator('[data-testid=action-restart]').click();
    await actions.locator('[data-testid=confirm]').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}host-confirm.png` });
    await actions.locator('[data-testid=confirm-yes]').click();
    const result = actions.locator('[data-testid=command-result]');
    await expect.poll(() => result.getAttribute('data-state'), { timeout: 20_000 }).toBe('ok');
    await expect.poll(() => sleeperPid(page), { timeout: 15_000 }).not.toBe(before);
    // The history chart has something to draw once the projector has a few samples.
    await page.locator('[data-testid=host-metrics] canvas').waitFor({ timeout: 10_000 });
    // The kill of the previous test is in the projector's history, with its signal.
    await page.locator('[data-testid=host-transitions] li', { hasText: 'SIGKILL' }).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}host.png`, fullPage: true });

    await page.goto(`${hub.url}#/services/${PROC}?node=${NODE}`);
    await page.locator('[data-testid=service-node]').first().waitFor({ timeout: 10_000 });
    await page.locator('[data-testid=transition]').first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}service.png`, fullPage: true });

    for (const name of ['live', 'alerts', 'checks', 'logs'] as const) {
      await page.click(`[data-testid=nav-${name}]`);
      await page.locator(`[data-testid=${name}-page]`).waitFor({ timeout: 10_000 });
    }
    await page.goto(`${hub.url}#/live`);
    await page.locator('[data-testid=event]').first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}live.png`, fullPage: true });
    await page.goto(`${hub.url}#/checks`);
    await page.locator('[data-testid=check-row]').first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}checks.png`, fullPage: true });
    await page.goto(`${hub.url}#/alerts`);
    await page.locator('[data-testid=alerts-page]').waitFor();
    await page.screenshot({ path: `${ARTIFACTS}alerts.png`, fullPage: true });
    await page.goto(`${hub.url}#/logs?node=${NODE}&source=${PROC}`);
    await page.locator('[data-testid=log-lines] .line', { hasText: 'tick' }).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${ARTIFACTS}logs.png`, fullPage: true });
    await page.close();
  });

  it('paints the overview from the projector’s fleet snapshot before the retained state arrives', async () => {
    // The agent's process is up and known (so the projector has folded it too) before the page opens.
    const first = await browser.newPage();
    await login(first, 'vera', creds.viewer);
    await first.locator(cellSelector('healthy')).waitFor({ timeout: 20_000 });
    await first.close();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    // What the grid showed at the moment the snapshot had been painted: the retained subscriptions
    // are only made after that mark, so whatever is on screen then came from the snapshot.
    await page.addInitScript(() => {
      const mark = performance.mark.bind(performance);
      performance.mark = (name: string, options?: PerformanceMarkOptions) => {
        if (name === 'sitrep:snapshot-painted') {
          const cells = [...document.querySelectorAll('[data-testid=service-grid] [data-testid=service-cell]')];
          (window as unknown as { atSnapshot: unknown }).atSnapshot = {
            rows: document.querySelectorAll('[data-testid=service-grid] tr[data-node]').length,
            cells: cells.map((c) => `${c.getAttribute('data-node')}/${c.getAttribute('data-service')} ${c.getAttribute('data-light')} ${c.getAttribute('title')}`),
          };
        }
        return mark(name, options);
      };
    });
    await login(page, 'vera', creds.viewer);
    const overview = page.locator('[data-testid=overview]');
    await expect.poll(() => overview.getAttribute('data-snapshot'), { timeout: 15_000 }).toBe('applied');
    expect(Number(await overview.getAttribute('data-snapshot-ts'))).toBeGreaterThan(0);
    // Applied first, painted a frame later.
    const seen = (await (await page.waitForFunction(() => (window as unknown as { atSnapshot?: unknown }).atSnapshot, undefined, { timeout: 10_000 })).jsonValue()) as { rows: number; cells: string[] };
    const marks0 = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => `${m.name} ${m.startTime.toFixed(0)}`));
    // Both nodes (this hub's own and the agent's), the supervised process green and saying where that came from.
    expect(seen.rows, `at the snapshot's paint: ${JSON.stringify(seen)}; marks: ${marks0.join(', ')}`).toBe(2);
    expect(seen.cells.find((c) => c.startsWith(`${NODE}/${PROC} `)), marks0.join(', ')).toMatch(/ healthy .*\(from the hub snapshot\)$/);
    const marks = await page.evaluate(() => performance.getEntriesByType('mark').map((m) => m.name));
    expect(marks.indexOf('sitrep:snapshot-painted')).toBeLessThan(marks.indexOf('sitrep:subscribed-all'));
    // Then the retained state takes over: the same cell, now without the snapshot's note.
    await expect.poll(() => page.locator(cellSelector('healthy')).getAttribute('title'), { timeout: 15_000 }).not.toMatch(/hub snapshot/);
    await page.close();
  });

  it('shows a viewer every service but no action button', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, colorScheme: 'dark' });
    await login(page, 'vera', creds.viewer);
    await page.locator(cellSelector('healthy')).waitFor({ timeout: 15_000 });
    expect(await page.textContent('[data-testid=role]')).toBe('viewer');
    await page.screenshot({ path: `${ARTIFACTS}overview-phone-dark.png`, fullPage: true });
    await page.goto(`${hub.url}#/hosts/${NODE}`);
    await page.locator(`[data-testid=host-service][data-service=${PROC}]`).waitFor({ timeout: 10_000 });
    await page.locator('[data-testid=host-checks] tbody tr').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid=actions]').count()).toBe(0);
    expect(await page.locator('button', { hasText: /^(restart|stop|start|kill|run)$/ }).count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS}host-viewer-phone.png`, fullPage: true });
    await page.goto(`${hub.url}#/checks`);
    await page.locator('[data-testid=check-row]').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid=actions]').count()).toBe(0);
    await page.close();
  });

  it('shows the disconnected overlay while the hub is down and reconnects on its own, still signed in', async () => {
    const page = await browser.newPage();
    await login(page, 'vera', creds.viewer);
    await page.locator(cellSelector('healthy')).waitFor({ timeout: 15_000 });
    const httpPort = new URL(hub.url).port;
    const mqttPort = new URL(hub.mqttUrl).port;
    await hub.stop();
    await page.locator('[data-testid=connection-overlay]').waitFor({ timeout: 15_000 });
    expect(await page.textContent('[data-testid=connection-overlay]')).toMatch(/Disconnected/);
    await page.screenshot({ path: `${ARTIFACTS}disconnected.png` });
    // The same data and ports: the page's URL and the agent's broker address stay valid.
    hub = await startHubProcess(['--node', 'browser-node', '--interval', '1', '--http-port', httpPort, '--mqtt-port', mqttPort], dataDir);
    await page.locator('[data-testid=connection-state]', { hasText: /^connected$/ }).waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid=connection-overlay]').count()).toBe(0);
    expect(await page.locator('[data-testid=login-form]').count()).toBe(0);
    await page.locator(cellSelector('healthy')).waitFor({ timeout: 30_000 });
    await page.close();
  }, 90_000);
});
