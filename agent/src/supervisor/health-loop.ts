/** Runs a process's health probe every `interval` while it is up; never two at once. */
import type { ProcessConfig } from '@sitrep/schemas/config';
import type { Probe, ProbeResult } from './probe.js';

export type HealthCheckConfig = NonNullable<ProcessConfig['health']>;

/** A probe that ignores its timeout is abandoned this long after it, and counts as failed. */
const OVERRUN_MS = 1000;
const MAX_MESSAGE = 1024;

export interface HealthLoop {
  stop(): void;
}

/** Probe once; never throws, never takes much longer than the timeout. */
export async function probeOnce(probe: Probe, check: HealthCheckConfig): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const overrun = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, message: `probe gave no answer within ${check.timeout} ms` }), check.timeout + OVERRUN_MS);
  });
  try {
    const r = await Promise.race([probe(check.probe, check.timeout), overrun]);
    return { ok: r.ok, message: r.message.slice(0, MAX_MESSAGE) };
  } catch (err) {
    return { ok: false, message: `probe failed: ${(err as Error).message}`.slice(0, MAX_MESSAGE) };
  } finally {
    clearTimeout(timer);
  }
}

/** The first probe runs one interval after the start, giving the process time to open its port. */
export function startHealthLoop(check: HealthCheckConfig, probe: Probe, onResult: (r: ProbeResult) => void): HealthLoop {
  let stopped = false;
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    void probeOnce(probe, check).then((r) => {
      inFlight = false;
      if (!stopped) onResult(r);
    });
  }, check.interval);
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
