/**
 * Broker throughput and latency: aedes with sitrep's SQLite persistence (the `sitrep broker`
 * default) vs aedes in memory (`--broker-memory`) vs Mosquitto (the reference), in one run, on
 * loopback, each broker a child process whose CPU is read from /proc. 300-byte payloads.
 *
 *   pnpm --filter @sitrep/bench broker-throughput [--help]
 *
 * Figures go to results/broker-throughput.json; see README.md.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeAll } from './broker-throughput/clients.js';
import { parseOptions, USAGE } from './broker-throughput/options.js';
import { printReport, type BrokerResult } from './broker-throughput/report.js';
import { fleet, latency, throughput, type Users } from './broker-throughput/scenarios.js';
import { killAll, mosquittoAvailable, startAedes, startMosquitto, type BrokerKind, type RunningServer, type User } from './broker-throughput/servers.js';
import { optionsOrExit } from './options-or-exit.js';

const args = process.argv.slice(2).filter((a) => a !== '--');
if (args.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const options = optionsOrExit('broker-throughput', USAGE, () => parseOptions(args));
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'broker-throughput.json');
const dir = mkdtempSync(join(tmpdir(), 'sitrep-broker-throughput-'));
const step = (what: string) => console.error(`[broker-throughput] ${what}`);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
}

const password = (name: string) => `bench-${name}-${Math.random().toString(36).slice(2)}`;
const users: Users = {
  publisher: { username: 'agent-n1', password: password('n1'), role: 'agent', node: 'n1' },
  projector: { username: 'bench-projector', password: password('p'), role: 'service' },
  viewer: { username: 'bench-viewer', password: password('v'), role: 'viewer' },
  fleet: Array.from({ length: options.nodes }, (_, i): User => ({ username: `agent-f${i}`, password: password(`f${i}`), role: 'agent', node: `f${i}` })),
};
const allUsers = [users.publisher, users.projector, users.viewer, ...users.fleet];

function ensureMosquitto(): string | null {
  if (mosquittoAvailable() === null) return null;
  if (process.getuid?.() === 0 && spawnSync('apt-get', ['--version']).status === 0) {
    step('mosquitto missing: apt-get install -y mosquitto');
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'mosquitto'], { stdio: 'inherit', timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  return mosquittoAvailable();
}

async function start(kind: BrokerKind): Promise<RunningServer> {
  if (kind === 'mosquitto') return startMosquitto(join(dir, kind), allUsers);
  return startAedes(kind, join(dir, kind), allUsers);
}

const results: BrokerResult[] = [];
const skipped: Record<string, string> = {};
try {
  for (const kind of options.brokers as BrokerKind[]) {
    if (kind === 'mosquitto') {
      const missing = ensureMosquitto();
      if (missing !== null) {
        skipped[kind] = missing;
        step(`SKIPPING mosquitto: ${missing}`);
        continue;
      }
    }
    step(`${kind}: starting (${allUsers.length} users)`);
    const server = await start(kind);
    try {
      const limitMs = options.phaseLimitSeconds * 1000;
      // Warm-up, not counted: the JIT of a Node broker, the page cache of the SQLite file.
      step(`${kind}: warm-up`);
      await throughput(server, users, 0, Math.min(options.qos0, 5000), options.window, limitMs);
      await throughput(server, users, 1, Math.min(options.qos1, 2000), options.window, limitMs);
      step(`${kind}: QoS 0 throughput, ${options.qos0} messages`);
      const qos0 = await throughput(server, users, 0, options.qos0, options.window, limitMs);
      step(`${kind}: QoS 1 throughput to a persistent session, ${options.qos1} messages`);
      const qos1 = await throughput(server, users, 1, options.qos1, options.window, limitMs);
      step(`${kind}: latency at ${options.rate} msg/s, QoS 0 then QoS 1`);
      const lat0 = await latency(server, users, 0, options.rate, options.latencySeconds);
      const lat1 = await latency(server, users, 1, options.rate, options.latencySeconds);
      step(`${kind}: fleet, ${options.nodes} connections`);
      const fl = await fleet(server, users, options.services, options.steadySeconds);
      results.push({ kind, qos0, qos1, latency0: lat0, latency1: lat1, fleet: fl });
    } finally {
      await closeAll();
      await server.stop();
    }
  }
} finally {
  killAll();
  rmSync(dir, { recursive: true, force: true });
}

printReport(results, skipped, options);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` },
      options,
      skipped,
      results,
    },
    null,
    2,
  )}\n`,
);
step(`figures written to ${out}`);
const incomplete = results.flatMap((r) => [r.qos0, r.qos1, r.latency0, r.latency1].filter((x) => !x.complete).map(() => r.kind));
if (incomplete.length > 0) {
  console.error(`incomplete deliveries on: ${[...new Set(incomplete)].join(', ')}`);
  process.exitCode = 1;
}
