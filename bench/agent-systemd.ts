/**
 * The agent against a real systemd (Debian 12 in a sandbox, bench/agent-systemd/*):
 *   1. steady-state RSS and CPU while watching 50 units, against prometheus-node-exporter
 *      (--collector.systemd on the same 50 units, scraped every 10 s) in the same window;
 *   2. where the agent's CPU goes (a separate --cpu-prof run of the same config);
 *   3. SIGKILL-to-broker detection latency through D-Bus, against the systemctl-show poller.
 * Figures go to bench/results/agent-systemd.json and a summary to stdout.
 *
 *   pnpm --filter @sitrep/bench agent-systemd [--window SEC] [--kills N] [--profile SEC] [--help]
 *
 * Needs root and systemd-nspawn (see deploy/README.md); the broker and node-exporter listen on
 * 127.0.0.1 only. Every container, unit and client started here is stopped on exit or Ctrl-C.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startTestBroker, type TestBroker } from '@sitrep/broker/testing';
import { agentNodeFlags, agentRunOptions, buildAgent, sandboxUnavailable, startSandbox, type Sandbox } from '@sitrep/deploy';
import { createTopics } from '@sitrep/schemas';
import { INTERVAL, startAgent, stopAgent, type AgentRun } from './agent-systemd/agents.js';
import { recordBus, type Bus } from './agent-systemd/bus.js';
import { runLatencyPhase } from './agent-systemd/latency-phase.js';
import { EXPORTER_UNIT, installExporter, newScrapeStats, scrape, startExporter } from './agent-systemd/node-exporter.js';
import { OptionsError, parseOptions, USAGE, type BenchOptions } from './agent-systemd/options.js';
import { clockTicks, unitProcess } from './agent-systemd/proc.js';
import { runProfile } from './agent-systemd/profile-run.js';
import { printSummary, TARGETS, type LatencySummary, type Results } from './agent-systemd/results.js';
import { ratio } from './agent-systemd/stats.js';
import { measureSteady, type SteadyFigures } from './agent-systemd/steady.js';
import { BENCH_UNIT_PATTERN, BENCH_UNITS, createBenchUnits, KILLED_UNIT } from './agent-systemd/units.js';

/** Kills in the profiled run: enough to see where a transition's CPU goes. */
const PROFILE_KILLS = 10;
const NODE_FLOOR_UNIT = 'bench-node-floor.service';
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const t = createTopics();
const log = (line: string) => console.error(`[agent-systemd] ${line}`);

interface Started {
  tb?: TestBroker;
  sb?: Sandbox;
  bus?: Bus;
}

async function cleanup(s: Started): Promise<void> {
  s.bus?.stop();
  // Stopping the container stops every unit in it (agents, node-exporter, the bench units).
  await s.sb?.stop().catch((err: Error) => log(`sandbox ${s.sb?.name} did not stop cleanly: ${err.message}`));
  await s.tb?.close().catch((err: Error) => log(`broker did not close cleanly: ${err.message}`));
}

/** Messages and bytes a node published between two arrival times. */
function traffic(bus: Bus, node: string, from: number, to: number) {
  const prefix = `${t.prefix}/nodes/${node}/`;
  const ms = bus.messages.filter((m) => m.at >= from && m.at <= to && m.topic.startsWith(prefix));
  const per10s = (x: number) => Math.round((x / (to - from)) * 10_000 * 10) / 10;
  const bytes = ms.reduce((n, m) => n + m.payload.length + m.topic.length, 0);
  return { messages: ms.length, bytes, messagesPer10s: per10s(ms.length), bytesPer10s: per10s(bytes) };
}

async function run(opts: BenchOptions, s: Started): Promise<Results> {
  const began = performance.now();
  log('building the agent artifact');
  const artifact = await buildAgent();
  const profArtifact = `${RESULTS_DIR}sitrep-agent.prof.cjs`;
  if (opts.profileSec > 0) await buildAgent({ outfile: profArtifact, minify: false });

  s.tb = await startTestBroker();
  // Hard cap on the container's life, in case this process dies: generous for every phase.
  const lifetimeSec = 900 + 2 * (opts.warmupSec + opts.windowSec) + opts.profileSec + opts.kills * 35;
  s.sb = await startSandbox({ name: `sitrep-b${process.pid}-${randomBytes(3).toString('hex')}`, lifetimeSec });
  const { tb, sb } = s;
  log(`sandbox ${sb.name} up in ${sb.timings.upMs} ms; creating ${BENCH_UNITS.length} units`);
  await createBenchUnits(sb);
  const hz = await clockTicks(sb);
  const observer = await tb.connect(await tb.identity('viewer', 'bench-observer'));
  s.bus = await recordBus(observer, t.filter.all());
  const bus = s.bus;

  let exporterVersion: string | null = null;
  let nodeExporterError: string | null = opts.noNodeExporter ? 'skipped (--no-node-exporter)' : null;
  if (!opts.noNodeExporter) {
    log('installing prometheus-node-exporter inside the sandbox');
    exporterVersion = await installExporter(sb).catch((err: Error) => {
      nodeExporterError = `install failed: ${err.message}`;
      log(`NODE-EXPORTER ${nodeExporterError}`);
      return null;
    });
  }

  // 1. Steady state.
  const dbusAgent: AgentRun = await startAgent(sb, tb, bus, { node: 'bench-dbus', artifact: artifact.path, units: BENCH_UNITS, useDbus: true });
  // Node's own floor: an idle node process, to tell the agent's memory from the runtime's.
  // With the unit's node options too: the floor of the agent as deployed.
  await sb.exec(['systemd-run', `--unit=${NODE_FLOOR_UNIT}`, '--collect', '--quiet', ...agentRunOptions(), '/usr/local/bin/node', ...agentNodeFlags(), '-e', 'setInterval(() => {}, 10_000)']);
  const targets = [await unitProcess(sb, dbusAgent.unit), await unitProcess(sb, NODE_FLOOR_UNIT)];
  const scrapes = newScrapeStats();
  let exporter = null;
  if (exporterVersion !== null) {
    exporter = await startExporter(sb, exporterVersion, BENCH_UNIT_PATTERN).catch((err: Error) => {
      nodeExporterError = err.message;
      return null;
    });
    if (exporter !== null) targets.push(await unitProcess(sb, EXPORTER_UNIT));
  }
  log(`steady state: ${opts.warmupSec} s warm-up, then ${opts.windowSec} s window (${targets.map((x) => x.unit).join(', ')})`);
  const tick = exporter === null ? undefined : () => scrape(exporter, scrapes);
  const steady = await measureSteady(sb, targets, { warmupMs: opts.warmupSec * 1000, windowMs: opts.windowSec * 1000, hz, ...(tick === undefined ? {} : { tick }) });
  const [agentFig, floorFig, neFig] = steady.figures as [SteadyFigures, SteadyFigures, SteadyFigures | undefined];
  await sb.exec(['systemctl', 'stop', NODE_FLOOR_UNIT, ...(exporter === null ? [] : [EXPORTER_UNIT])]);

  // 2. Detection latency, D-Bus agent against the poller, on the same kills.
  let latency: LatencySummary | null = null;
  let latencyError: string | null = null;
  let latencyDiagnostics: Results['latencyDiagnostics'] = null;
  try {
    log(`latency: starting the polling agent, then ${opts.kills} kills of ${KILLED_UNIT}`);
    const phase = await runLatencyPhase(sb, tb, bus, dbusAgent, {
      artifact: artifact.path,
      units: BENCH_UNITS,
      killUnit: KILLED_UNIT,
      kills: opts.kills,
      hz,
      dbusSteadyCpuRate: agentFig.cpuMs / agentFig.windowMs,
    });
    latency = phase.summary;
    latencyDiagnostics = phase.diagnostics;
    if (latency.aborted !== null) log(`latency stopped early: ${latency.aborted}; diagnostics in the results file`);
    writeFileSync(`${RESULTS_DIR}agent-systemd.kills.json`, `${JSON.stringify(phase.kills, null, 1)}\n`);
  } catch (err) {
    latencyError = (err as Error).message;
    log(`LATENCY FAILED: ${latencyError}`);
  }
  await stopAgent(sb, dbusAgent);

  // 3. Profile: a fresh agent, same config, non-minified artifact under --cpu-prof.
  let profile: Results['profile'] = null;
  let profileError: string | null = opts.profileSec > 0 ? null : 'skipped (--profile 0)';
  if (opts.profileSec > 0) {
    log(`profile: ${opts.warmupSec} s warm-up, then ${opts.profileSec} s under --cpu-prof`);
    profile = await runProfile(sb, tb, bus, {
      artifact: profArtifact,
      units: BENCH_UNITS,
      warmupMs: opts.warmupSec * 1000,
      windowMs: opts.profileSec * 1000,
      hz,
      killUnit: KILLED_UNIT,
      kills: Math.min(opts.kills, PROFILE_KILLS),
    }).catch(
      (err: Error) => {
        profileError = err.message;
        log(`PROFILE FAILED: ${profileError}`);
        return null;
      },
    );
  }

  const c = cpus();
  return {
    bench: 'agent-systemd',
    date: new Date().toISOString(),
    machine: { cpus: c.length, cpuModel: c[0]?.model.trim() ?? 'unknown', node: process.versions.node, kernel: release(), sandbox: 'Debian 12 sandbox (systemd-nspawn, systemd 252)' },
    options: { windowSec: opts.windowSec, warmupSec: opts.warmupSec, kills: opts.kills, profileSec: opts.profileSec },
    agent: { artifactBytes: artifact.bytes, interval: INTERVAL, units: BENCH_UNITS.length, updates: 'disabled', journal: 'enabled', source: 'dbus' },
    steady: {
      agent: agentFig,
      mqtt: traffic(bus, dbusAgent.node, steady.fromAt, steady.toAt),
      nodeExporter: neFig === undefined || exporter === null ? null : { ...neFig, version: exporter.version, scrape: scrapes },
      nodeExporterError,
      nodeFloor: floorFig,
      ratios: {
        rssMax: ratio(agentFig.rssMaxMiB, neFig?.rssMaxMiB),
        rssLast: ratio(agentFig.rssLastMiB, neFig?.rssLastMiB),
        cpu: ratio(agentFig.cpuMs, neFig?.cpuMs),
        unitCpu: ratio(agentFig.unitCpuMs, neFig?.unitCpuMs),
      },
      targets: {
        rssOk: agentFig.rssMaxMiB * 2 ** 20 < TARGETS.rssBytes,
        cpuOk: agentFig.cpuPercentOfCore < TARGETS.cpuPercentOfCore,
      },
    },
    latency,
    latencyError,
    latencyDiagnostics,
    profile,
    profileError,
    elapsedSec: Math.round((performance.now() - began) / 1000),
  };
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--'));
  let opts: BenchOptions | 'help';
  try {
    opts = parseOptions(argv);
  } catch (err) {
    if (err instanceof OptionsError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  if (opts === 'help') {
    console.log(USAGE);
    return 0;
  }
  const unavailable = sandboxUnavailable();
  if (unavailable !== null) {
    console.error(`agent-systemd: cannot run: ${unavailable}`);
    return 2;
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const started: Started = {};
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping everything this bench started`);
    void cleanup(started).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const results = await run(opts, started);
    writeFileSync(`${RESULTS_DIR}agent-systemd.json`, `${JSON.stringify(results, null, 2)}\n`);
    printSummary(results);
    console.log(`figures: ${RESULTS_DIR}agent-systemd.json`);
    return 0;
  } finally {
    if (!interrupted) await cleanup(started);
  }
}

process.exitCode = await main();
