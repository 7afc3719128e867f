/**
 * Phase 2 of bench/agent-systemd.ts: a second agent on the systemctl-show poller joins the D-Bus
 * agent, the watched unit is killed `kills` times, and both are timed on the same kills. The CPU
 * both agents use over the phase is taken too (every kill costs the D-Bus agent a property re-read).
 */
import type { TestBroker } from '@sitrep/broker/testing';
import type { Sandbox } from '@sitrep/deploy';
import { POLL_INTERVAL_MS, startAgent, stopAgent, type AgentRun } from './agents.js';
import type { Bus } from './bus.js';
import { measureDetection, type KillRecord, type LatencyRun } from './latency.js';
import { sampleUnit, unitProcess } from './proc.js';
import type { LatencySummary } from './results.js';
import { distribution, ratio } from './stats.js';
import { cpuByProcess } from './steady.js';

export interface LatencyPhaseOptions {
  artifact: string;
  units: readonly string[];
  killUnit: string;
  kills: number;
  hz: number;
  /** The D-Bus agent's steady CPU, ms per ms: subtracted to get the CPU a kill costs. */
  dbusSteadyCpuRate: number;
}

export interface LatencyPhase {
  summary: LatencySummary;
  kills: KillRecord[];
  /** Only when the loop stopped early: what explains it. */
  diagnostics: { afterLastKill: LatencyRun['afterLastKill']; journal: string[] } | null;
}

export async function runLatencyPhase(sb: Sandbox, tb: TestBroker, bus: Bus, dbusAgent: AgentRun, o: LatencyPhaseOptions): Promise<LatencyPhase> {
  const pollAgent = await startAgent(sb, tb, bus, { node: 'bench-poll', artifact: o.artifact, units: o.units, useDbus: false });
  const procs = [await unitProcess(sb, dbusAgent.unit), await unitProcess(sb, pollAgent.unit)];
  const before = await Promise.all(procs.map((u) => sampleUnit(sb, u)));
  const det = await measureDetection(sb, bus, { unit: o.killUnit, nodes: [dbusAgent.node, pollAgent.node], kills: o.kills, jitterMaxMs: POLL_INTERVAL_MS });
  const after = await Promise.all(procs.map((u) => sampleUnit(sb, u)));
  let diagnostics: LatencyPhase['diagnostics'] = null;
  if (det.aborted !== null) {
    const units = [dbusAgent.unit, pollAgent.unit, o.killUnit].flatMap((u) => ['-u', u]);
    const journal = await sb.exec(['journalctl', '--no-pager', '-o', 'short-monotonic', '-n', '60', ...units], { allowFailure: true });
    diagnostics = { afterLastKill: det.afterLastKill, journal: journal.stdout.split('\n') };
  }
  await stopAgent(sb, pollAgent);

  const phaseMs = after[0]!.at - before[0]!.at;
  const cgroupPercent = (i: number) => {
    const a = after[i]!.cgroupUsageUsec;
    const b = before[i]!.cgroupUsageUsec;
    return a === null || b === null ? null : Math.round(((a - b) / 1000 / phaseMs) * 100 * 1e4) / 1e4;
  };
  const dbusAgentMs = ((after[0]!.cpuTicks - before[0]!.cpuTicks) * 1000) / o.hz;
  const col = (key: 'stateFailedMs' | 'eventFailedMs' | 'crashSeenMs', node: string) =>
    det.kills.map((k) => k[key][node] ?? null).filter((x): x is number => x !== null);
  const [d, p] = [dbusAgent.node, pollAgent.node];
  const dState = distribution(col('stateFailedMs', d));
  const pSeen = distribution(col('crashSeenMs', p));
  const n = det.kills.length;
  const summary: LatencySummary = {
    unit: o.killUnit,
    kills: n,
    aborted: det.aborted,
    killVia: det.kills.every((k) => k.via === 'host') ? 'from the host (process.kill on the host PID)' : `${det.kills.filter((k) => k.via === 'exec').length} through sb.exec`,
    dbus: {
      stateFailed: dState,
      eventFailed: distribution(col('eventFailedMs', d)),
      missedState: n - col('stateFailedMs', d).length,
      missedEvent: n - col('eventFailedMs', d).length,
      eventsWithSigkill: det.kills.filter((k) => k.eventHasSigkill[d] === true).length,
    },
    poll: {
      pollIntervalMs: POLL_INTERVAL_MS,
      crashSeen: pSeen,
      stateFailed: distribution(col('stateFailedMs', p)),
      eventFailed: distribution(col('eventFailedMs', p)),
      missedState: n - col('stateFailedMs', p).length,
    },
    ratios: { pollCrashSeenOverDbusStateP50: ratio(pSeen?.p50, dState?.p50), pollCrashSeenOverDbusStateP99: ratio(pSeen?.p99, dState?.p99) },
    cpuDuringPhase: {
      dbusPercentOfCore: cgroupPercent(0),
      pollPercentOfCore: cgroupPercent(1),
      dbusByProcess: cpuByProcess(before[0]!, after[0]!, o.hz),
      pollByProcess: cpuByProcess(before[1]!, after[1]!, o.hz),
      // The agent process's CPU above its steady rate, shared out over the kills.
      dbusAgentMsPerKill: n === 0 ? null : Math.round(((dbusAgentMs - o.dbusSteadyCpuRate * phaseMs) / n) * 10) / 10,
      windowMs: Math.round(phaseMs),
    },
  };
  return { summary, kills: det.kills, diagnostics };
}
