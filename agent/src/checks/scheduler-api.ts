/** The check scheduler's contract: its options, what a reload reports, and its methods (see scheduler.ts). */
import type { Logger } from '@sitrep/schemas';
import type { ProbeConfig } from '@sitrep/schemas/config';
import type { CheckInfo } from './check-state.js';
import type { CheckError } from './errors.js';
import type { CheckRunResult } from './run-check.js';
import type { InvalidCheckFile } from './scan-dir.js';

export interface CheckSchedulerOptions {
  /** Directory of check scripts (ChecksConfig.dir). */
  checksDir: string;
  /** Configured probes (AgentConfig.probes); fixed for the scheduler's life. */
  probes: readonly ProbeConfig[];
  /** For scripts whose header sets no timeout, ms (ChecksConfig.defaultTimeout). */
  defaultTimeoutMs: number;
  /** Output kept per run, bytes (ChecksConfig.maxOutputBytes). */
  maxOutputBytes: number;
  log: Logger;
  /** Where checks-state.json is kept (AgentConfig.stateDir); none: results are kept in memory only. */
  stateDir?: string;
  /** Clock, ms since the epoch; default Date.now. Timers still run in real time. */
  now?: () => number;
  /** After every completed run (scheduled or runNow). Exceptions are logged, not propagated. */
  onResult(check: CheckInfo, result: CheckRunResult): void;
  /** A script refused (bad metadata, id taken, unreadable); once per version of the file. */
  onInvalid?(file: string, error: CheckError): void;
  /** The set of checks changed (added, removed, edited; also by the first scan in start()): republish the inventory. */
  onChange?(checks: CheckInfo[]): void;
  /** Debounce of directory events, ms. Default 300. */
  watchDebounceMs?: number;
  /** Fallback rescan period, ms. Default 60 000. */
  rescanIntervalMs?: number;
  /** Between SIGTERM and SIGKILL when a run is cut short, ms. Default 2000. */
  killGraceMs?: number;
}

export interface ReloadSummary {
  added: string[];
  removed: string[];
  changed: string[];
  /** Files refused in this scan (also those already reported before). */
  invalid: InvalidCheckFile[];
}

export interface CheckScheduler {
  /** Loads the saved state and the checks, starts the timers and the directory watch. */
  start(): Promise<void>;
  /** Every check, probes included, sorted by id. */
  list(): CheckInfo[];
  /** Runs a check now, or joins its running run. Rejects with CheckError CHECK_NOT_FOUND or CHECK_SCHEDULER_STOPPED. */
  runNow(id: string): Promise<CheckRunResult>;
  /** Rescans the directory now. Rejects with CheckError when it cannot be listed. */
  reload(): Promise<ReloadSummary>;
  /** Stops timers and the watch, kills running checks and waits for them and the last state write. */
  stop(): Promise<void>;
}
