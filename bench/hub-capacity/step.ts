/** One capacity step: connect a fleet, warm up, measure a window, drain, and read the log. */
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { startFleet } from '@sitrep/simulator';
import { distribution, type Distribution } from '../agent-systemd/stats.js';
import type { CapacityTarget } from './targets.js';

export interface StepSettings {
  nodes: number;
  services: number;
  intervalSec: number;
  failureRate: number;
  windowSec: number;
  warmupSec: number;
}

export interface StepResult {
  nodes: number;
  connected: number;
  connectSec: number;
  msgPerSec: number;
  eventsPerSec: number;
  lag: Distribution | null;
  lost: number;
  duplicated: number;
  hubCpuPercent: number;
  hubRssMiB: number;
  rssPerNodeKiB: number;
  sustained: boolean;
}

const CLK_TCK = 100;

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}
function rssKiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A target that died mid-step fails the step with its reason (the fleet would otherwise wait for it forever). */
function alive(target: CapacityTarget): void {
  const why = target.died();
  if (why !== null) throw new Error(why);
}

export async function runStep(target: CapacityTarget, s: StepSettings, log: (s: string) => void): Promise<StepResult> {
  try {
    const creds = target.creds;
    const t0 = Date.now();
    const fleet = await startFleet({
      url: target.mqttUrl,
      nodes: s.nodes,
      creds,
      services: s.services,
      checks: 3,
      intervalSec: s.intervalSec,
      failureRate: s.failureRate,
      connectRate: 100,
      onProgress: (p) => log(`  ${p.phase}: ${p.connected}/${p.total}${p.failed ? `, ${p.failed} failed (retrying)` : ''}`),
    });
    // Failed first attempts retry on their own; wait (bounded) until the whole fleet is in.
    const connectDeadline = Date.now() + 180_000;
    while (fleet.stats().connected < s.nodes && Date.now() < connectDeadline) {
      await pause(500);
      alive(target);
    }
    const connectSec = Math.round((Date.now() - t0) / 100) / 10;
    log(`  ${fleet.stats().connected}/${s.nodes} connected after ${connectSec} s; warming up ${s.warmupSec} s`);
    await pause(s.warmupSec * 1000);
    alive(target);

    const windowStart = Date.now();
    const startStats = fleet.stats();
    const cpu0 = target.pids.map(cpuTicks);
    const rss: number[] = [];
    while (Date.now() - windowStart < s.windowSec * 1000) {
      await pause(5000);
      alive(target);
      rss.push(target.pids.reduce((a, p) => a + rssKiB(p), 0));
    }
    const windowMs = Date.now() - windowStart;
    const cpu1 = target.pids.map(cpuTicks);
    const endStats = fleet.stats();
    const windowEnd = Date.now();
    const connected = endStats.connected;
    const lastSeq = new Map(fleet.nodes.map((n) => [n.host.node, n.host.lastSeq]));
    log(`  window done; stopping the fleet`);
    // Raced with the target: a fleet whose broker is gone waits for acknowledgements forever.
    let stopped = false;
    const stopping = fleet.stop().then(() => (stopped = true));
    while (!stopped) {
      await Promise.race([stopping, pause(1000)]);
      alive(target);
    }
    log(`  fleet stopped; draining`);

    // Drain: the projector must end up with every event the fleet sent (bounded wait).
    const expected = [...lastSeq.values()].reduce((a, b) => a + b, 0);
    const db = new Database(target.dbPath, { readonly: true, fileMustExist: true });
    const count = () => (db.prepare("SELECT count(*) AS n FROM events WHERE origin = 'agent'").get() as { n: number }).n;
    const drainDeadline = Date.now() + 60_000;
    while (count() < expected && Date.now() < drainDeadline) await pause(250);
    const perNode = db.prepare("SELECT node, count(*) AS n, max(seq) AS max FROM events WHERE origin = 'agent' GROUP BY node").all() as { node: string; n: number; max: number }[];
    let lost = 0;
    let duplicated = 0;
    const seen = new Map(perNode.map((r) => [r.node, r]));
    for (const [node, last] of lastSeq) {
      const r = seen.get(node);
      const n = r?.n ?? 0;
      if (n < last) lost += last - n;
      if (n > last) duplicated += n - last; // (node, seq) is unique in the log, so this stays 0
    }
    const lags = (db.prepare("SELECT received_at - ts AS lag FROM events WHERE origin = 'agent' AND ts >= ? AND ts < ?").all(windowStart, windowEnd) as { lag: number }[]).map((r) => r.lag);
    db.close();

    const lag = distribution(lags);
    if (lost > 0) log(`  ${lost} events lost; what the target logged:\n    ${target.complaints().join('\n    ') || '(no warnings)'}`);
    const ticks = cpu1.reduce((a, b) => a + b, 0) - cpu0.reduce((a, b) => a + b, 0);
    const hubRssKiB = Math.max(...rss);
    return {
      nodes: s.nodes,
      connected,
      connectSec,
      msgPerSec: Math.round(((endStats.published - startStats.published) / windowMs) * 1000),
      eventsPerSec: Math.round(((endStats.events - startStats.events) / windowMs) * 1000),
      lag,
      lost,
      duplicated,
      hubCpuPercent: Math.round(((ticks / CLK_TCK) / (windowMs / 1000)) * 1000) / 10,
      hubRssMiB: Math.round(hubRssKiB / 102.4) / 10,
      rssPerNodeKiB: Math.round(hubRssKiB / s.nodes),
      sustained: connected === s.nodes && lost === 0 && lag !== null && lag.p99 < 1000,
    };
  } finally {
    await target.stop();
  }
}
