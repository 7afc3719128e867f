/** The shape of bench/results/agent-systemd.json, and its readable summary. */
import type { Distribution } from './stats.js';
import type { ProfileSummary } from './profile.js';
import type { ProfileRun } from './profile-run.js';
import { SAMPLE_EVERY_MS, type SteadyFigures } from './steady.js';
import type { ScrapeStats } from './node-exporter.js';

export const TARGETS = { rssBytes: 50e6, cpuPercentOfCore: 0.2, detectionP99Ms: 1000 } as const;

export interface LatencySummary {
  unit: string;
  kills: number;
  aborted: string | null;
  killVia: string;
  dbus: { stateFailed: Distribution | null; eventFailed: Distribution | null; missedState: number; missedEvent: number; eventsWithSigkill: number };
  poll: {
    pollIntervalMs: number;
    crashSeen: Distribution | null;
    stateFailed: Distribution | null;
    eventFailed: Distribution | null;
    /** Kills after which the poller never saw `failed` (the unit was back before its next poll). */
    missedState: number;
  };
  ratios: { pollCrashSeenOverDbusStateP50: number | null; pollCrashSeenOverDbusStateP99: number | null };
  /** CPU of each agent over the whole kill phase (both watch the same 50 units). */
  cpuDuringPhase: {
    dbusPercentOfCore: number | null;
    pollPercentOfCore: number | null;
    dbusByProcess: SteadyFigures['procCpu'];
    pollByProcess: SteadyFigures['procCpu'];
    dbusAgentMsPerKill: number | null;
    windowMs: number;
  } | null;
}

export interface Results {
  bench: 'agent-systemd';
  date: string;
  machine: { cpus: number; cpuModel: string; node: string; kernel: string; sandbox: string };
  options: { windowSec: number; warmupSec: number; kills: number; profileSec: number };
  agent: { artifactBytes: number; interval: string; units: number; updates: 'disabled'; journal: 'enabled'; source: 'dbus' };
  steady: {
    agent: SteadyFigures;
    mqtt: { messages: number; bytes: number; messagesPer10s: number; bytesPer10s: number };
    nodeExporter: (SteadyFigures & { version: string; scrape: ScrapeStats }) | null;
    nodeExporterError: string | null;
    /** An idle `node -e setInterval(...)`: what the runtime alone holds. */
    nodeFloor: SteadyFigures;
    ratios: { rssMax: number | null; rssLast: number | null; cpu: number | null; unitCpu: number | null };
    targets: { rssOk: boolean; cpuOk: boolean };
  };
  latency: LatencySummary | null;
  latencyError: string | null;
  /** Only when the kill loop stopped early. */
  latencyDiagnostics: { afterLastKill: unknown[]; journal: string[] } | null;
  profile: ProfileRun | null;
  profileError: string | null;
  elapsedSec: number;
}

const f = (x: number | null | undefined, digits = 1, unit = '') => (x === null || x === undefined ? 'n/a' : `${x.toFixed(digits)}${unit}`);
const dist = (d: Distribution | null) => (d === null ? 'none seen' : `p50 ${f(d.p50, 0)}  p90 ${f(d.p90, 0)}  p99 ${f(d.p99, 0)}  max ${f(d.max, 0)} ms  (n=${d.n})`);
const ok = (b: boolean) => (b ? 'OK' : 'MISSED');

function printProfile(out: string[], p: ProfileSummary): void {
  out.push('    by module (self time):');
  for (const m of p.topModules.slice(0, 8)) out.push(`      ${f(m.percent).padStart(5)}%  ${f(m.ms).padStart(7)} ms  ${m.name}`);
  out.push('    by function (self time):');
  for (const fn of p.topFunctions.slice(0, 10)) out.push(`      ${f(fn.percent).padStart(5)}%  ${f(fn.ms).padStart(7)} ms  ${fn.name}  [${fn.module}]`);
}

export function printSummary(r: Results): void {
  const out: string[] = [];
  const a = r.steady.agent;
  const ne = r.steady.nodeExporter;
  out.push('', `agent-systemd bench, ${r.date}: ${r.machine.cpus} vCPU ${r.machine.cpuModel}, Node ${r.machine.node}, ${r.machine.sandbox}`);
  out.push(`window ${r.options.windowSec} s after ${r.options.warmupSec} s warm-up; agent: ${r.agent.units} units, interval ${r.agent.interval}, updates ${r.agent.updates}, journal ${r.agent.journal}, D-Bus`);
  out.push('', '1. Steady state (50 units)');
  const row = (name: string, s: SteadyFigures) =>
    `  ${name.padEnd(14)} RSS max ${f(s.rssMaxMiB)} MiB, last ${f(s.rssLastMiB)} MiB | CPU ${f(s.cpuMs)} ms = ${f(s.cpuPercentOfCore, 3)}% of a core, ${f(s.cpuMsPer10s, 2)} ms per 10 s` +
    ` | whole unit: ${s.unitProcs} procs, RSS ${f(s.unitRssMaxMiB)} MiB, CPU ${f(s.unitCpuPercentOfCore, 3)}%`;
  out.push(row('agent', a));
  out.push(`  agent RSS every ${SAMPLE_EVERY_MS / 1000} s: ${a.rssSeriesMiB.map((x) => x.toFixed(0)).join(' ')} MiB`);
  if (a.unitCpuSeriesMs !== null) out.push(`  agent CPU per ${SAMPLE_EVERY_MS / 1000} s:  ${a.unitCpuSeriesMs.map((x) => x.toFixed(0)).join(' ')} ms`);
  out.push(row('idle node', r.steady.nodeFloor));
  out.push(`  agent RSS at the end: anon ${f(a.rssAnonLastMiB)} MiB + file ${f(a.rssFileLastMiB)} MiB; idle node: anon ${f(r.steady.nodeFloor.rssAnonLastMiB)} + file ${f(r.steady.nodeFloor.rssFileLastMiB)} MiB`);
  out.push(`  agent unit CPU by process: ${a.procCpu.map((x) => `${x.comm} ${f(x.cpuMs, 0)} ms`).join(', ')}`);
  if (ne !== null) out.push(row('node-exporter', ne), `  (${ne.version}; ${ne.scrape.scrapes} scrapes, ${ne.scrape.failures} failed, ${ne.scrape.unitsActive} bench units active in the last)`);
  else out.push(`  node-exporter: NOT MEASURED: ${r.steady.nodeExporterError ?? 'skipped'}`);
  const q = r.steady.ratios;
  out.push(`  agent / node-exporter: RSS max ${f(q.rssMax, 2, 'x')}, last ${f(q.rssLast, 2, 'x')}; CPU ${f(q.cpu, 2, 'x')} (whole units: ${f(q.unitCpu, 2, 'x')})`);
  out.push(`  targets: RSS ${f(a.rssMaxMiB)} MiB (${f((a.rssMaxMiB * 2 ** 20) / 1e6)} MB) < 50 MB: ${ok(r.steady.targets.rssOk)}; CPU ${f(a.cpuPercentOfCore, 3)}% < 0.2%: ${ok(r.steady.targets.cpuOk)}`);
  out.push(`  MQTT from the agent: ${f(r.steady.mqtt.messagesPer10s)} messages, ${f(r.steady.mqtt.bytesPer10s, 0)} bytes per 10 s`);

  out.push('', '2. Where the agent CPU goes (--cpu-prof run)');
  const p = r.profile;
  if (p === null) out.push(`  not measured: ${r.profileError ?? 'skipped'}`);
  else {
    const st = p.steady;
    const per10s = (ms: number) => (ms / st.windowMs) * 10_000;
    out.push(`  steady: ${f(st.windowMs / 1000, 0)} s, ${st.samples} samples at ${p.intervalUs} µs: main thread busy ${f(st.busyMs)} ms = ${f(per10s(st.busyMs), 2)} ms per 10 s (unprofiled agent, all threads: ${f(a.cpuMsPer10s, 2)} ms per 10 s)`);
    out.push(`  of which (program) ${f(st.programMs)} ms, GC ${f(st.gcMs)} ms; the profiled process used ${f(p.measuredCpuMs, 0)} ms of CPU, mostly the sampler itself`);
    out.push(`  busy ms per 10 s through the window: ${st.busyPer10sMs.map((x) => x.toFixed(0)).join(' ')}`);
    out.push(`  GC ms per 10 s through the window:   ${st.gcPer10sMs.map((x) => x.toFixed(0)).join(' ')}`);
    printProfile(out, st);
    if (p.kills !== null) {
      out.push(`  kills: ${p.kills.kills} SIGKILLs in ${f(p.kills.windowMs / 1000, 0)} s: main thread busy ${f(p.kills.busyMs)} ms = ${f(p.kills.busyMsPerKill)} ms per kill (GC ${f(p.kills.gcMs)} ms)${p.kills.aborted === null ? '' : `; STOPPED EARLY: ${p.kills.aborted}`}`);
      printProfile(out, p.kills);
    }
  }

  out.push('', '3. Detection latency (SIGKILL to arrival on the broker)');
  const l = r.latency;
  if (l === null) out.push(`  not measured: ${r.latencyError ?? 'skipped'}`);
  else {
    out.push(`  ${l.kills} kills of ${l.unit} (kill sent ${l.killVia})${l.aborted === null ? '' : `, STOPPED EARLY: ${l.aborted}`}`);
    out.push(`  D-Bus   state failed   ${dist(l.dbus.stateFailed)}`);
    out.push(`  D-Bus   event failed   ${dist(l.dbus.eventFailed)}  (${l.dbus.eventsWithSigkill} carry signal SIGKILL)`);
    out.push(`  poll ${l.poll.pollIntervalMs / 1000}s crash seen     ${dist(l.poll.crashSeen)}`);
    out.push(`  poll ${l.poll.pollIntervalMs / 1000}s state failed   ${dist(l.poll.stateFailed)}  (missed in ${l.poll.missedState} of ${l.kills}: back before the next poll)`);
    out.push(`  poll / D-Bus (crash seen vs state failed): p50 ${f(l.ratios.pollCrashSeenOverDbusStateP50, 1, 'x')}, p99 ${f(l.ratios.pollCrashSeenOverDbusStateP99, 1, 'x')}`);
    const p99 = l.dbus.stateFailed?.p99 ?? null;
    out.push(`  target p99 < 1 s: state ${p99 === null ? 'n/a' : ok(p99 < TARGETS.detectionP99Ms)}, event ${l.dbus.eventFailed === null ? 'n/a' : ok(l.dbus.eventFailed.p99 < TARGETS.detectionP99Ms)}`);
    if (l.cpuDuringPhase !== null) {
      const c = l.cpuDuringPhase;
      const procs = (x: SteadyFigures['procCpu']) => x.map((p) => `${p.comm} ${f(p.cpuMs, 0)} ms`).join(', ');
      out.push(`  CPU during the kill phase (${f(c.windowMs / 1000, 0)} s, whole units): D-Bus agent ${f(c.dbusPercentOfCore, 3)}% (${procs(c.dbusByProcess)}), polling agent ${f(c.pollPercentOfCore, 3)}% (${procs(c.pollByProcess)}) of a core`);
      out.push(`  D-Bus agent process CPU per kill, above its steady rate: ${f(c.dbusAgentMsPerKill)} ms`);
    }
  }
  if (r.latencyError !== null && l !== null) out.push(`  error: ${r.latencyError}`);
  out.push('', `elapsed ${r.elapsedSec} s`);
  console.log(out.join('\n'));
}
