/**
 * From scheduler results to the contract's payloads: the retained CheckResult, the CheckCompleted
 * event's data and the Birth's list of checks. The agent adds the envelope (topic, session, seq).
 */
import { PAYLOAD_VERSION, type Birth, type CheckCompleted, type CheckResult } from '@sitrep/schemas';
import type { CheckInfo } from './check-state.js';
import type { CheckRunResult } from './run-check.js';

/** The contract's limits on CheckResult.output and WatchedCheck.name/schedule. */
const MAX_PAYLOAD_OUTPUT = 70_000;
const MAX_WATCHED_TEXT = 200;
const TRUNCATED = '\n[... sitrep: output cut to fit the message ...]';

export function toCheckResultPayload(node: string, r: CheckRunResult): CheckResult {
  const payload: CheckResult = { v: PAYLOAD_VERSION, node, ...r };
  // maxOutputBytes may be up to 10 MiB; the payload allows 70 000 characters.
  if (payload.output !== undefined && payload.output.length > MAX_PAYLOAD_OUTPUT) {
    payload.output = payload.output.slice(0, MAX_PAYLOAD_OUTPUT - TRUNCATED.length) + TRUNCATED;
  }
  return payload;
}

export function toCheckCompletedData(r: CheckRunResult): CheckCompleted['data'] {
  return { check: r.check, status: r.status, message: r.message, durationMs: r.durationMs };
}

/**
 * The Birth's `checks`: every check with the actions this agent accepts on it, which is `run`
 * when ChecksConfig.allowRun is true or lists the id (probes: when their `actions` has `run`).
 */
export function toWatchedChecks(
  checks: readonly CheckInfo[],
  allowRun: boolean | readonly string[],
  probeActions: ReadonlyMap<string, readonly 'run'[]> = new Map(),
): Birth['checks'] {
  return checks.map((c) => {
    const runnable = c.kind === 'probe' ? (probeActions.get(c.id) ?? []).includes('run') : allowRun === true || (Array.isArray(allowRun) && allowRun.includes(c.id));
    return {
      id: c.id,
      name: c.name.slice(0, MAX_WATCHED_TEXT),
      schedule: c.schedule.slice(0, MAX_WATCHED_TEXT),
      actions: runnable ? ['run' as const] : [],
    };
  });
}
