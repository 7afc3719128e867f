/** What the bench reads from Chromium: time to the full grid, and main-thread busy share. */
import type { CDPSession, Page } from 'playwright-core';

/**
 * ms from navigation start (the page's own clock) until the overview shows the whole fleet: every
 * node counted online, every node a row of the grid (rows off screen are virtual), every service
 * state folded in, and the first visible row filled with one cell per service.
 */
export async function timeToGrid(page: Page, shape: { nodes: number; services: number }, timeoutMs: number): Promise<number> {
  return page.waitForFunction(
    ({ nodes, services }) => {
      const online = document.querySelector('[data-testid=count-online] .n')?.textContent;
      const grid = document.querySelector('[data-testid=service-grid]');
      const rows = grid?.getAttribute('data-rows');
      const states = grid?.getAttribute('data-states');
      const firstRow = document.querySelector('[data-testid=service-grid] tbody tr[data-node]');
      const full = online === String(nodes) && rows === String(nodes) && states === String(nodes * services) && firstRow?.querySelectorAll('[data-testid=service-cell]').length === services;
      return full ? performance.now() : null;
    },
    shape,
    { timeout: timeoutMs, polling: 'raf' },
  ).then((h) => h.jsonValue() as Promise<number>);
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
