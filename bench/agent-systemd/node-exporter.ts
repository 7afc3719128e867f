/**
 * The reference: Debian's prometheus-node-exporter installed inside the sandbox (its rootfs is an
 * overlay, so the install vanishes at stop), run as a transient unit with the systemd collector on
 * and limited to the same bench units, listening on 127.0.0.1 only, scraped from the host.
 */
import { createServer } from 'node:net';
import type { Sandbox } from '@sitrep/deploy';

export const EXPORTER_UNIT = 'bench-node-exporter.service';
const BINARY = '/usr/bin/prometheus-node-exporter';

export interface Exporter {
  url: string;
  version: string;
}

export interface ScrapeStats {
  scrapes: number;
  failures: number;
  /** Bench units the last good scrape reported as active. */
  unitsActive: number;
  bytes: number;
  maxMs: number;
}

export class ExporterError extends Error {
  readonly code = 'NODE_EXPORTER_FAILED';
}

/** A port free on loopback now (the sandbox shares the host's network namespace). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new ExporterError('no port from the loopback listener');
  return address.port;
}

/** apt-get install inside the sandbox; returns the version line, or throws with apt's own words. */
export async function installExporter(sb: Sandbox): Promise<string> {
  // policy-rc.d 101: the package's postinst must not start its own instance on :9100 of every
  // interface (the network namespace is the host's); we start ours on loopback.
  await sb.writeFile('/usr/sbin/policy-rc.d', '#!/bin/sh\nexit 101\n', 0o755);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  for (const argv of [
    ['apt-get', 'update', '-qq'],
    ['apt-get', 'install', '-y', '-qq', '--no-install-recommends', 'prometheus-node-exporter'],
  ]) {
    const r = await sb.exec(argv, { env, timeoutMs: 300_000, allowFailure: true });
    if (r.exitCode !== 0) throw new ExporterError(`${argv.join(' ')} exited ${r.exitCode}: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`);
  }
  const v = await sb.exec([BINARY, '--version']);
  return (v.stdout + v.stderr).split('\n')[0]?.trim() ?? 'unknown';
}

export async function startExporter(sb: Sandbox, version: string, unitPattern: string): Promise<Exporter> {
  const port = await freePort();
  await sb.exec([
    'systemd-run', `--unit=${EXPORTER_UNIT}`, '--collect', '--quiet', BINARY,
    `--web.listen-address=127.0.0.1:${port}`,
    '--collector.systemd',
    `--collector.systemd.unit-include=${unitPattern}`,
    '--collector.systemd.enable-restarts-metrics',
  ]);
  const url = `http://127.0.0.1:${port}/metrics`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
    if (ok) return { url, version };
    if (Date.now() > deadline) throw new ExporterError(`node-exporter did not answer on ${url} within 15 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** One GET; counts the bench units the systemd collector reports active. */
export async function scrape(exporter: Exporter, stats: ScrapeStats): Promise<void> {
  const t0 = performance.now();
  stats.scrapes++;
  try {
    const res = await fetch(exporter.url, { signal: AbortSignal.timeout(8000) });
    const body = await res.text();
    if (!res.ok) throw new ExporterError(`HTTP ${res.status}`);
    stats.bytes += body.length;
    stats.unitsActive = body.split('\n').filter((l) => l.startsWith('node_systemd_unit_state{') && l.includes('state="active"') && l.endsWith(' 1')).length;
  } catch (err) {
    stats.failures++;
    console.warn(`node-exporter scrape failed: ${(err as Error).message}`);
  }
  stats.maxMs = Math.max(stats.maxMs, performance.now() - t0);
}

export const newScrapeStats = (): ScrapeStats => ({ scrapes: 0, failures: 0, unitsActive: 0, bytes: 0, maxMs: 0 });
