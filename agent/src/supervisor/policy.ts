/** The static rules of one supervised process, taken from its definition, as the decider needs them. */
import type { ProcessConfig } from '@sitrep/schemas/config';
import { DEFAULT_BACKOFF_MS, DEFAULT_JITTER } from './backoff.js';

export type RestartPolicy = ProcessConfig['restart'];
export type StopSignal = ProcessConfig['stopSignal'];

/** Durations in ms. */
export interface LifecyclePolicy {
  /** Start when the supervisor starts (`Boot`); otherwise wait for an operator. */
  readonly autostart: boolean;
  readonly restart: RestartPolicy;
  readonly stopSignal: StopSignal;
  readonly stopGraceMs: number;
  /** Up this long, the next crash starts the backoff schedule over. */
  readonly stableAfterMs: number;
  /** Automatic restarts allowed within `restartWindowMs`; one more crash and it gives up. */
  readonly maxRestarts: number;
  readonly restartWindowMs: number;
  readonly backoffMs: readonly number[];
  /** Fraction, e.g. 0.2 for ±20 %. */
  readonly jitter: number;
  readonly failuresBeforeUnhealthy: number;
}

export interface BackoffTuning {
  backoffMs?: readonly number[];
  jitter?: number;
}

export function policyOf(config: ProcessConfig, tuning: BackoffTuning = {}): LifecyclePolicy {
  return {
    autostart: config.autostart,
    restart: config.restart,
    stopSignal: config.stopSignal,
    stopGraceMs: config.stopGrace,
    stableAfterMs: config.stableAfter,
    maxRestarts: config.maxRestarts,
    restartWindowMs: config.restartWindow,
    backoffMs: tuning.backoffMs ?? DEFAULT_BACKOFF_MS,
    jitter: tuning.jitter ?? DEFAULT_JITTER,
    failuresBeforeUnhealthy: config.health?.failuresBeforeUnhealthy ?? 1,
  };
}
