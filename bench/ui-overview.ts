/**
 * The dashboard's overview under a large fleet, in headless Chromium against a real hub (broker and
 * projector in one process, the projector in a worker thread, as `sitrep hub` runs them): 500 nodes x 20 services as retained state,
 * folded by the projector before the page opens, then 500 service-state updates a second. The page
 * paints from the projector's fleet snapshot, then the retained state keeps it live.
 * Measures time to the first full render of the grid and the renderer main thread's busy share,
 * with updates on against the same page with updates off (the reference, same run).
 * Targets (issue 7): first render under 1.5 s, main thread under 30 % busy.
 *
 *   pnpm --filter @sitrep/ui build        # the bench serves ui/dist
 *   pnpm --filter @sitrep/bench ui-overview [--nodes=500] [--services=20] [--rate=500] [--window=10] [--persistence=sqlite|memory] [--profile[=updates]] [--trace]
 *
 * Loopback only; the publisher is bounded in count and time; everything is closed on exit.
 * Figures go to results/ui-overview.json.
 */
import inspector from 'node:inspector/promises';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type CDPSession } from 'playwright-core';
import { startTestBroker, waitFor, type TestBroker } from '@sitrep/broker/testing';
import Database from 'better-sqlite3';
import { startProjectorThread, type ProjectorThread } from '@sitrep/cli';
import { HubConfig, parseConfig } from '@sitrep/schemas/config';
import { codecs, createTopics, memoryLogger } from '@sitrep/schemas';
import { flip, retainedState, type FleetShape } from './ui-overview/fleet.js';
import { recordTimeline, type Timeline } from './ui-overview/timeline.js';
import { busyShare, installFirstRenderProbe, summariseProfile, timeToGrid, unhealthyShown, type Busy } from './ui-overview/measure.js';
import { OptionsError, optionsOrExit } from './options-or-exit.js';

const benchDir = dirname(fileURLToPath(import.meta.url));
const uiDir = join(benchDir, '..', 'ui', 'dist');
const CHROMIUM = process.env['SITREP_CHROMIUM'] ?? '/usr/bin/chromium';

function option(name: string, def: number, min: number, max: number): number {
  const raw = process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
  const n = raw === undefined ? def : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new OptionsError(`--${name} must be an integer from ${min} to ${max}`);
  return n;
}
const USAGE = 'usage: pnpm --filter @sitrep/bench ui-overview [--nodes=500] [--services=20] [--rate=500] [--window=10] [--persistence=sqlite|memory] [--profile[=updates]] [--trace]';
/**
 * `--persistence`: the broker's, `sqlite` as `sitrep hub` runs it (default), or `memory` (the test
 * kit's default, whose retained lookups scan every retained message for each subscription).
 * `--profile`: a CDP CPU profile of the "updates off" page's load and one of the hub's main thread
 * over it, summarised by function (results/ui-overview.cpuprofile, ui-overview.hub.cpuprofile);
 * `--profile=updates`: the same of the 500 updates/s page. Both print every counted page's timeline.
 */
const { shape, rate, windowSec, persistence, profileArg } = optionsOrExit('ui-overview', USAGE, () => {
  const persistenceArg = process.argv.find((a) => a.startsWith('--persistence='))?.split('=')[1] ?? 'sqlite';
  if (persistenceArg !== 'sqlite' && persistenceArg !== 'memory') throw new OptionsError('--persistence must be sqlite or memory');
  const profileArg = process.argv.find((a) => a === '--profile' || a.startsWith('--profile='));
  if (profileArg !== undefined && profileArg !== '--profile' && profileArg !== '--profile=updates') throw new OptionsError('--profile takes no value or `updates`');
  const shape: FleetShape = { nodes: option('nodes', 500, 1, 2000), services: option('services', 20, 1, 100) };
  return { shape, rate: option('rate', 500, 0, 5000), windowSec: option('window', 10, 3, 120), persistence: persistenceArg as 'sqlite' | 'memory', profileArg };
});
/** How long the updates run before the page opens, ms. */
const settleMs = 3000;
const profile = profileArg !== undefined;
const profiledPage = (label: string) => (profileArg === '--profile=updates' ? label.startsWith('updates at') : label === 'updates off');
/** `--trace`: a Chromium trace of the 500 updates/s page's load (results/ui-overview-trace.json; open it in chrome://tracing or Perfetto). */
const trace = process.argv.includes('--trace');
const cells = shape.nodes * shape.services;
const step = (what: string) => console.error(`[ui-overview] ${what}`);

if (!existsSync(join(uiDir, 'index.html'))) {
  console.error('ui/dist is missing: run `pnpm --filter @sitrep/ui build` first');
  process.exit(2);
}
if (!existsSync(CHROMIUM)) {
  console.error(`${CHROMIUM} not found: install Debian's chromium (apt-get install chromium)`);
  process.exit(2);
}

const t = createTopics('sitrep/v1');
let tb: TestBroker | undefined;
let projector: ProjectorThread | undefined;
let browser: Browser | undefined;
let publisher: ReturnType<typeof setInterval> | undefined;

function publish(topic: string, payload: string): Promise<void> {
  return new Promise((resolve, reject) => {
    tb!.broker.aedes.publish({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true, dup: false }, (err) => (err ? reject(err) : resolve()));
  });
}

/** ms for a Node mqtt.js client to connect over WebSocket and receive `count` retained messages. */
async function wireTime(broker: TestBroker, creds: { username: string; password: string }, count: number): Promise<number> {
  const t0 = performance.now();
  const client = await broker.connect(creds, { ws: true });
  let got = 0;
  const all = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`reference client got ${got} of ${count} retained messages in 60 s`)), 60_000);
    client.on('message', () => {
      if (++got === count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await client.subscribeAsync([t.filter.status(), t.filter.birth(), t.filter.metrics(), t.filter.services()], { qos: 0 });
  await all;
  const ms = performance.now() - t0;
  await client.endAsync(true);
  return ms;
}

/** ms for a Node mqtt.js client over WebSocket to ask the projector for the fleet snapshot and receive it. */
async function snapshotTime(broker: TestBroker, creds: { username: string; password: string }): Promise<{ ms: number; bytes: number }> {
  const client = await broker.connect(creds, { ws: true, clientId: 'bench-snapshot' });
  try {
    const replyTo = t.reply('bench-snapshot');
    await client.subscribeAsync(replyTo, { qos: 0 });
    const t0 = performance.now();
    const reply = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no fleet snapshot from the projector in 30 s')), 30_000);
      client.on('message', (_topic, payload) => {
        clearTimeout(timer);
        resolve(payload);
      });
    });
    await client.publishAsync(t.query('fleetSnapshot'), JSON.stringify({ id: 'bench-1', replyTo }), { qos: 1 });
    const payload = await reply;
    const ms = performance.now() - t0;
    const decoded = codecs.queryReply.decode(payload, payload.byteLength);
    if (!decoded.ok || !decoded.value.ok || codecs.fleetSnapshot.problem(decoded.value.data) !== null) throw new Error(`bad fleet snapshot: ${payload.toString('utf8', 0, 300)}`);
    return { ms, bytes: payload.byteLength };
  } finally {
    await client.endAsync(true);
  }
}

/** How many snapshot round trips each of the two series below takes (one at a time). */
const SNAPSHOT_SERIES = 10;

/**
 * The fleet snapshot's round trip SNAPSHOT_SERIES times in a row, sorted: with updates off, and
 * at the update rate once the measured page has closed (the publisher still running), a same-run
 * comparison of the hub's side of the page's first render without the browser in it.
 */
async function snapshotSeries(broker: TestBroker, creds: { username: string; password: string }): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < SNAPSHOT_SERIES; i++) ms.push((await snapshotTime(broker, creds)).ms);
  return ms.sort((a, b) => a - b);
}
/** The lower median (the lower of the two middle values of an even count). */
const median = (sorted: number[]) => sorted[Math.floor((sorted.length - 1) / 2)]!;

interface Run {
  firstRenderMs: number;
  busy: Busy;
  unhealthy: number;
  /** What the page did with the fleet snapshot: `applied` (painted from it) or `fallback`. */
  snapshot: string | null;
}

async function startTimeline(cdp: CDPSession): Promise<Timeline> {
  await cdp.send('Network.enable');
  return recordTimeline(cdp, tb!.broker.aedes, { query: t.query('fleetSnapshot'), reply: t.filter.reply().slice(0, -1) });
}

/** `query`: `?snapshot=off` for the page without the fleet snapshot. `seconds`: the busy window (0: none). */
async function measure(label: string, creds: { username: string; password: string }, port: number, query = '', seconds = windowSec): Promise<Run> {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  try {
    let logged = 0;
    page.on('console', (m) => {
      if (m.type() !== 'log' && logged++ < 5) step(`${label}: page ${m.type()}: ${m.text().slice(0, 300)}`);
    });
    await page.addInitScript((login) => sessionStorage.setItem('sitrep.login', login), JSON.stringify(creds));
    await installFirstRenderProbe(page, shape);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const profiling = profile && profiledPage(label);
    const hubProfiler = profiling ? new inspector.Session() : null;
    if (hubProfiler !== null) {
      hubProfiler.connect();
      await hubProfiler.post('Profiler.enable');
      await hubProfiler.post('Profiler.setSamplingInterval', { interval: 200 });
      await hubProfiler.post('Profiler.start');
    }
    if (profiling) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    // `--profile`: where the load's time goes, the browser's network side and the hub's side.
    const timeline = profile && !label.startsWith('warm-up') ? await startTimeline(cdp) : null;
    const tracing = trace && label.startsWith('updates at');
    if (tracing) {
      const categories = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.compile', 'blink.user_timing', 'loading', 'toplevel'];
      await browser!.startTracing(page, { path: join(benchDir, 'results', 'ui-overview-trace.json'), categories });
    }
    step(`${label}: loading the overview`);
    await page.goto(`http://127.0.0.1:${port}/${query}`);
    const first = await timeToGrid(cdp, 60_000).catch(async (err: Error) => {
      const shown = await page.locator('[data-testid=service-cell]').count();
      await page.screenshot({ path: join(benchDir, 'results', 'ui-overview-timeout.png') });
      throw new Error(`${err.message}: ${shown} cells rendered (screenshot in results/)`);
    });
    const firstRenderMs = first.ms;
    if (tracing) await browser!.stopTracing();
    step(`${label}: full grid after ${firstRenderMs.toFixed(0)} ms (${first.elements} elements, ${first.rowsBuilt} grid rows built)${seconds > 0 ? `; measuring for ${seconds} s` : ''}`);
    if (profiling) {
      const { profile: p } = await cdp.send('Profiler.stop');
      writeFileSync(join(benchDir, 'results', 'ui-overview.cpuprofile'), JSON.stringify(p));
      step(`${label}: CPU profile of the load (after a warm-up page), self time by function:\n${summariseProfile(p)}`);
      const { profile: hp } = await hubProfiler!.post('Profiler.stop');
      hubProfiler!.disconnect();
      writeFileSync(join(benchDir, 'results', 'ui-overview.hub.cpuprofile'), JSON.stringify(hp));
      step(`${label}: CPU profile of the hub's main thread (broker and this bench) over the same load:\n${summariseProfile(hp)}`);
    }
    const snapshot = await page.locator('[data-testid=overview]').getAttribute('data-snapshot');
    const { origin, marks } = await page.evaluate(() => ({
      origin: performance.timeOrigin,
      marks: performance.getEntriesByType('mark').map((m) => ({ name: m.name.replace('sitrep:', ''), ms: m.startTime })),
    }));
    step(`${label}: fleet snapshot ${snapshot}; page marks (ms): ${marks.map((m) => `${m.name} ${m.ms.toFixed(0)}`).join(', ')}`);
    if (timeline !== null) {
      timeline.stop();
      step(`${label}: timeline (ms from navigation start):\n${timeline.print(origin, marks)}`);
    }
    const busy = seconds > 0 ? await busyShare(cdp, seconds) : { mean: 0, perSecond: [0], taskShare: 0 };
    const unhealthy = await unhealthyShown(page);
    return { firstRenderMs, busy, unhealthy, snapshot };
  } finally {
    await page.close();
  }
}

mkdirSync(join(benchDir, 'results'), { recursive: true });
try {
  tb = await startTestBroker({ uiDir, persistence });
  const viewer = await tb.identity('viewer', 'bench-viewer');
  const now = Date.now();
  const state = retainedState(t, shape, now);
  step(`seeding ${state.length} retained messages (${shape.nodes} nodes x ${shape.services} services)`);
  for (let i = 0; i < state.length; i += 500) await Promise.all(state.slice(i, i + 500).map((m) => publish(m.topic, m.payload)));
  // The hub's projector folds the same retained state into its read models: the page's snapshot.
  const projCreds = await tb.identity('service', 'bench-projector');
  // In a worker thread of this process, as `sitrep hub` runs its projector (cli/src/hub/projector-thread.ts).
  const dbPath = join(tb.dir, 'sitrep.db');
  projector = startProjectorThread(
    { dbPath, broker: { url: tb.tcpUrl, prefix: 'sitrep/v1', ...projCreds }, hub: parseConfig(HubConfig, {}, 'defaults') },
    memoryLogger('projector'),
  );
  await projector.ready;
  const db = new Database(dbPath, { readonly: true });
  await waitFor(() => {
    const folded = db.prepare('SELECT (SELECT count(*) FROM services) AS services, (SELECT count(*) FROM nodes WHERE state = ? AND birth IS NOT NULL) AS nodes').get('online') as { services: number; nodes: number };
    return folded.services === cells && folded.nodes === shape.nodes ? folded : undefined;
  }, `the projector folding ${shape.nodes} nodes and ${cells} service states`, 120_000, 100);
  db.close();
  step(`projector: folded ${shape.nodes} nodes and ${cells} service states`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  // Reference: the same retained state to a plain mqtt.js client over the same WebSocket path.
  const wire = await wireTime(tb, viewer, state.length);
  step(`reference: a Node mqtt.js client over WebSocket received all ${state.length} retained messages in ${wire.toFixed(0)} ms`);
  const snap = await snapshotTime(tb, viewer);
  const snapOff = await snapshotSeries(tb, viewer);
  step(`reference: a Node mqtt.js client over WebSocket asked for the fleet snapshot and had it (${(snap.bytes / 1024).toFixed(0)} KiB) in ${snap.ms.toFixed(0)} ms`);
  // The browser's cold start (first page) is paid by a page that is not counted. It stays open 3 s,
  // as the page without the snapshot does: the retained state its wildcard subscriptions ask for
  // once it has painted (~3.8 MiB) is sent before the next page opens, not while it loads.
  await measure('warm-up, not counted', viewer, tb.broker.httpPort, '', 3);
  const off = await measure('updates off', viewer, tb.broker.httpPort);
  // The same page without the snapshot (retained state alone, as before it): the same-run comparison.
  const retainedOnly = await measure('updates off, no snapshot', viewer, tb.broker.httpPort, '?snapshot=off', 3);

  // Bounded: at most rate x (window + 90 s) messages, stopped in `finally` in any case (the 3 s
  // before the page opens and the page's load fit in the 90 s).
  const maxCount = rate * (windowSec + 90);
  let sent = 0;
  const started = performance.now();
  const tickMs = 20;
  // One batch in flight at a time: aedes recurses through its callbacks when thousands of
  // publishes are started at once.
  let busyPublishing = false;
  if (rate > 0) {
    publisher = setInterval(() => {
      if (busyPublishing) return;
      const due = Math.min(maxCount, Math.floor(((performance.now() - started) / 1000) * rate));
      const batch: Promise<void>[] = [];
      for (; sent < due; sent++) {
        const m = flip(t, shape, sent, Date.now());
        batch.push(publish(m.topic, m.payload));
      }
      busyPublishing = true;
      void Promise.all(batch).finally(() => {
        busyPublishing = false;
      });
      if (sent >= maxCount) clearInterval(publisher);
    }, tickMs);
  }
  // The page opens into a steady stream, not into the publisher's first seconds (the hub's
  // publish path warming up, its first SQLite checkpoints, the projector catching up): a fleet's
  // updates do not start when someone opens the dashboard.
  if (rate > 0) {
    await new Promise((r) => setTimeout(r, settleMs));
    step(`updates: ${sent} published in the ${settleMs / 1000} s before the page opens`);
  }
  const on = await measure(`updates at ${rate}/s`, viewer, tb.broker.httpPort);
  // The rate the measured page saw (the snapshot series below runs on under the same updates).
  const achieved = sent / ((performance.now() - started) / 1000);
  const snapOn = await snapshotSeries(tb, viewer);
  clearInterval(publisher);

  const results = {
    date: new Date().toISOString(),
    machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}`,
    node: process.version,
    shape,
    persistence,
    rate,
    achievedRate: achieved,
    windowSec,
    referenceWireMs: wire,
    referenceSnapshot: snap,
    snapshotSeries: { off: snapOff, on: snapOn },
    off,
    retainedOnly,
    on,
    ratios: { firstRender: on.firstRenderMs / off.firstRenderMs, busy: on.busy.mean / Math.max(off.busy.mean, 1e-6) },
    targets: { firstRenderMs: 1500, busyShare: 0.3 },
  };
  mkdirSync(join(benchDir, 'results'), { recursive: true });
  writeFileSync(join(benchDir, 'results', 'ui-overview.json'), `${JSON.stringify(results, null, 2)}\n`);

  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  console.log(`\nui-overview: ${shape.nodes} nodes x ${shape.services} services (${cells} cells), broker persistence ${persistence}, ${results.machine}`);
  console.log('| page | first full render | main thread CPU (mean) | busiest second | task wall share | unhealthy shown at the end |');
  console.log('|---|---|---|---|---|---|');
  const row = (name: string, r: Run) =>
    `| ${name} | ${r.firstRenderMs.toFixed(0)} ms | ${pct(r.busy.mean)} | ${pct(Math.max(...r.busy.perSecond))} | ${pct(r.busy.taskShare)} | ${r.unhealthy} |`;
  console.log(row('updates off', off));
  console.log(row('updates off, no snapshot (`?snapshot=off`, 3 s window)', retainedOnly));
  console.log(row(`${rate} updates/s (achieved ${achieved.toFixed(0)}/s)`, on));
  console.log(`| reference: Node mqtt.js client, same retained state over WebSocket | ${wire.toFixed(0)} ms | | | | |`);
  console.log(`| reference: Node mqtt.js client, fleet snapshot query and answer (${(snap.bytes / 1024).toFixed(0)} KiB) | ${snap.ms.toFixed(0)} ms | | | | |`);
  const series = (xs: number[]) => `${median(xs).toFixed(0)} ms (${xs[0]!.toFixed(0)}-${xs.at(-1)!.toFixed(0)})`;
  console.log(`| reference: the same query ${SNAPSHOT_SERIES} times, median (range): updates off / ${rate} updates/s | ${series(snapOff)} / ${series(snapOn)} | | | | |`);
  console.log(`| **ratio snapshot round trip on/off** (medians) | ${(median(snapOn) / median(snapOff)).toFixed(2)}x | | | | |`);
  console.log(`| **ratio on/off** | ${results.ratios.firstRender.toFixed(2)}x | ${results.ratios.busy.toFixed(2)}x | | | |`);
  console.log(`| **ratio snapshot / no snapshot** (updates off) | ${(off.firstRenderMs / retainedOnly.firstRenderMs).toFixed(2)}x | | | | |`);
  const pass = on.firstRenderMs < 1500 && on.busy.mean < 0.3;
  console.log(`fleet snapshot: updates off ${off.snapshot}, no snapshot ${retainedOnly.snapshot}, updates on ${on.snapshot}`);
  console.log(`targets (first render < 1.5 s, busy < 30 %): ${pass ? 'met' : 'NOT met'}`);
  if (rate > 0 && on.unhealthy === 0) console.log('warning: no cell turned red: the updates did not reach the page');
} finally {
  clearInterval(publisher);
  await browser?.close();
  await projector?.stop();
  await tb?.close();
}
