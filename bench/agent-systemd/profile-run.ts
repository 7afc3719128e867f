/**
 * The profiled run: a fresh agent with the steady-state config, the non-minified artifact, under
 * `node --cpu-prof`. Its utime+stime over the window is measured too, to set the profile's
 * sampled time against. The agent exits cleanly on SIGTERM (systemctl stop), which writes the
 * profile; the window is cut out of it on the monotonic clock both V8 and this process use.
 */
import type { TestBroker } from '@sitrep/broker/testing';
import type { Sandbox } from '@sitrep/deploy';
import { startAgent, stopAgent } from './agents.js';
import type { Bus } from './bus.js';
import { measureDetection } from './latency.js';
import { unitProcess } from './proc.js';
import { summariseProfile, type CpuProfile, type ProfileSummary } from './profile.js';
import { measureSteady } from './steady.js';

/** Sampling interval, µs: finer than node's 1000 default, since the agent is busy for only ~ms per cycle. */
export const PROFILE_INTERVAL_US = 250;
const PROFILE_DIR = '/var/lib/bench-prof-cpu';

export class ProfileError extends Error {
  readonly code = 'PROFILE_FAILED';
}

export interface ProfileRunOptions {
  artifact: string;
  units: readonly string[];
  warmupMs: number;
  windowMs: number;
  hz: number;
  /** After the steady window, kill this unit this many times and profile that stretch on its own. */
  killUnit: string;
  kills: number;
}

export interface ProfileRun {
  artifact: string;
  intervalUs: number;
  /** utime+stime of the profiled process over the steady window (the sampler's cost included). */
  measuredCpuMs: number;
  steady: ProfileSummary;
  /** The stretch of `kills` SIGKILLs of one watched unit, each waited out until the unit runs again. */
  kills: (ProfileSummary & { kills: number; busyMsPerKill: number; aborted: string | null }) | null;
}

export async function runProfile(
  sb: Sandbox,
  tb: TestBroker,
  bus: Bus,
  o: ProfileRunOptions,
): Promise<ProfileRun> {
  // performance.now() and process.hrtime() share libuv's CLOCK_MONOTONIC: one offset converts.
  const monoOffsetUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
  const mono = (at: number) => at * 1000 + monoOffsetUs;
  await sb.exec(['mkdir', '-p', PROFILE_DIR]);
  const run = await startAgent(sb, tb, bus, {
    node: 'bench-prof',
    artifact: o.artifact,
    units: o.units,
    useDbus: true,
    nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-interval=${PROFILE_INTERVAL_US}`],
  });
  const steady = await measureSteady(sb, [await unitProcess(sb, run.unit)], { warmupMs: o.warmupMs, windowMs: o.windowMs, hz: o.hz });
  let killWindow: { from: number; to: number; kills: number; aborted: string | null } | null = null;
  if (o.kills > 0) {
    const from = performance.now();
    const det = await measureDetection(sb, bus, { unit: o.killUnit, nodes: [run.node], kills: o.kills, jitterMaxMs: 1000 });
    // Let the last transition's evidence timer and publish finish inside the window.
    await new Promise((r) => setTimeout(r, 1000));
    killWindow = { from, to: performance.now(), kills: det.kills.length, aborted: det.aborted };
  }
  await stopAgent(sb, run);
  const { stdout } = await sb.exec(['find', PROFILE_DIR, '-name', '*.cpuprofile']);
  const file = stdout.trim().split('\n').filter((l) => l !== '');
  if (file.length !== 1) throw new ProfileError(`expected one .cpuprofile in ${PROFILE_DIR}, found ${file.length}`);
  const profile = JSON.parse(await sb.readFile(file[0]!)) as CpuProfile;
  const from = mono(steady.fromAt);
  const to = mono(steady.toAt);
  if (from < profile.startTime || to > profile.endTime) {
    throw new ProfileError(`window [${from}, ${to}] µs is not inside the profile [${profile.startTime}, ${profile.endTime}]: clocks differ`);
  }
  let kills: ProfileRun['kills'] = null;
  if (killWindow !== null && killWindow.kills > 0) {
    const k = summariseProfile(profile, o.artifact, mono(killWindow.from), Math.min(mono(killWindow.to), profile.endTime));
    kills = { ...k, kills: killWindow.kills, aborted: killWindow.aborted, busyMsPerKill: Math.round((k.busyMs / killWindow.kills) * 10) / 10 };
  }
  return {
    artifact: 'non-minified build of the same entry (bench/results/sitrep-agent.prof.cjs)',
    intervalUs: PROFILE_INTERVAL_US,
    measuredCpuMs: steady.figures[0]!.cpuMs,
    steady: summariseProfile(profile, o.artifact, from, to),
    kills,
  };
}
