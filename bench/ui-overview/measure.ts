/** What the bench reads from Chromium: time to the full grid, and main-thread busy share. */
import type { CDPSession, Page } from 'playwright-core';

/**
 * ms from navigation start (the page's own clock) until the overview shows the whole fleet: every
 * node counted online, every node a row of the grid (rows off screen are virtual), every service
 * state folded in, and the first visible row filled with one cell per service.
 *
 * The condition is checked inside the page on every animation frame by a few lines installed
 * before the page's own scripts (`installFirstRenderProbe`), which record the first frame where it
 * holds; the bench then only reads that record over CDP. Playwright's `waitForFunction` would do
 * the same checks but first injects its utility script (~330 kB) into the page, which took the
 * page's main thread for ~130 ms in the middle of its load (a Chromium trace, 2026-12-07): time
 * no user's page spends, charged to the first render.
 */
export async function installFirstRenderProbe(page: Page, shape: { nodes: number; services: number }): Promise<void> {
  // A string, not a function: tsx would wrap the inner function in a `__name` helper the page lacks.
  const nodes = Number(shape.nodes);
  const services = Number(shape.services);
  await page.addInitScript(`(() => {
    const probe = () => {
      const online = document.querySelector('[data-testid=count-online] .n')?.textContent;
      const grid = document.querySelector('[data-testid=service-grid]');
      const rows = grid?.getAttribute('data-rows');
      const states = grid?.getAttribute('data-states');
      const firstRow = document.querySelector('[data-testid=service-grid] tbody tr[data-node]');
      const full = online === '${nodes}' && rows === '${nodes}' && states === '${nodes * services}' && firstRow?.querySelectorAll('[data-testid=service-cell]').length === ${services};
      if (!full) return void requestAnimationFrame(probe);
      globalThis.__benchFirstRender = { ms: performance.now(), elements: document.getElementsByTagName('*').length, rowsBuilt: grid.querySelectorAll('tr[data-node]').length };
    };
    requestAnimationFrame(probe);
  })();`);
}

/** The probe's record, read over CDP (no script injected into the page) every 20 ms until it is there. */
export async function timeToGrid(cdp: CDPSession, timeoutMs: number): Promise<FirstRender> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { result } = await cdp.send('Runtime.evaluate', { expression: 'globalThis.__benchFirstRender ?? null', returnByValue: true });
    const value = result.value as FirstRender | null | undefined;
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`the overview did not show the whole fleet within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** When the grid was first complete, and how much DOM the page had then. */
export interface FirstRender {
  ms: number;
  elements: number;
  /** Grid rows in the DOM (the rest are virtual). */
  rowsBuilt: number;
}

/** The unhealthy-services count the page shows. */
export async function unhealthyShown(page: Page): Promise<number> {
  return Number(await page.locator('[data-testid=count-unhealthy] .n').textContent());
}

/**
 * CDP's cumulative counters, seconds: ThreadTime is the CPU time of the renderer's main thread,
 * TaskDuration the wall time of its tasks (which grows when a loaded machine preempts the thread).
 */
async function counters(cdp: CDPSession): Promise<{ cpu: number; tasks: number }> {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
  return { cpu: get('ThreadTime'), tasks: get('TaskDuration') };
}

export interface Busy {
  /** Main-thread CPU time per wall second, over the window. */
  mean: number;
  /** The same per second, for the spread. */
  perSecond: number[];
  /** Wall time inside tasks per wall second (includes time preempted by other processes). */
  taskShare: number;
}

/** The main thread's busy share over `seconds`, sampled every second. */
export async function busyShare(cdp: CDPSession, seconds: number): Promise<Busy> {
  const perSecond: number[] = [];
  const t0 = performance.now();
  const c0 = await counters(cdp);
  let lastT = t0;
  let last = c0;
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const t = performance.now();
    const c = await counters(cdp);
    perSecond.push((c.cpu - last.cpu) / ((t - lastT) / 1000));
    lastT = t;
    last = c;
  }
  const wall = (lastT - t0) / 1000;
  return { mean: (last.cpu - c0.cpu) / wall, perSecond, taskShare: (last.tasks - c0.tasks) / wall };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

/** Self time per function of a CDP CPU profile, the top `n` lines, `(idle)` left out. */
export function summariseProfile(p: { nodes: ProfileNode[]; samples?: number[]; timeDeltas?: number[] }, n = 25): string {
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const f = byId.get(samples[i]!)?.callFrame;
    if (f === undefined) continue;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop() ?? ''}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i + 1] ?? 0) / 1000);
  }
  const total = [...self].filter(([k]) => !k.startsWith('(idle)')).reduce((a, [, ms]) => a + ms, 0);
  const top = [...self].filter(([k]) => !k.startsWith('(idle)')).sort((a, b) => b[1] - a[1]).slice(0, n);
  return [`  busy ${total.toFixed(0)} ms, idle ${(self.get('(idle) :0') ?? 0).toFixed(0)} ms`, ...top.map(([k, ms]) => `  ${ms.toFixed(1).padStart(7)} ms  ${k}`)].join('\n');
}
