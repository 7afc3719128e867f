/**
 * Pending package updates, checked in the background on its own timer so the metrics cycle never
 * waits for a package manager (apt's simulation alone takes seconds of CPU). The agent merges
 * `latest()` into each metrics snapshot.
 *
 * One check at a time: a check asked for while one runs joins it. A check that runs past
 * `timeout` is killed with its whole process group; the previous result is kept and a warning
 * logged, as for any other failure.
 */
import type { Logger } from '@sitrep/schemas';
import { checkApt } from './updates/apt.js';
import type { CheckContext, Updates } from './updates/check-context.js';
import { checkDnf } from './updates/dnf.js';
import { detectPackageManager, findOnPath, type Which } from './updates/find-on-path.js';
import { checkPacman } from './updates/pacman.js';
import { runCommand, type CommandRunner } from './updates/run-command.js';
import { asUpdateCheckError, UpdateCheckError } from './updates/update-check-error.js';

export type { CommandRunner, CommandOutput, RunOptions } from './updates/run-command.js';
export type { Updates } from './updates/check-context.js';
export { UpdateCheckError, type UpdateCheckErrorCode } from './updates/update-check-error.js';

export interface UpdatesCheckerOptions {
  /** Time between the end of one check and the start of the next, ms. */
  every: number;
  /** Longest a check may run before its processes are killed, ms. */
  timeout: number;
  log: Logger;
  /** Clock for `checkedAt`, ms since the epoch. Default Date.now. */
  now?: () => number;
  /** Runs one command; default spawns it in its own process group. Replaceable in tests. */
  run?: CommandRunner;
  /** Finds an executable on PATH; default looks through process.env.PATH. Replaceable in tests. */
  which?: Which;
  /**
   * Delay before the first check after start(), ms. Default a random 5-30 s: soon enough to
   * show something after a restart, spread so a fleet restarted at once does not check in step.
   */
  firstDelay?: number;
}

export interface UpdatesChecker {
  start(): void;
  /** Stops the timer and kills a running check. */
  stop(): void;
  /** undefined: not checked yet; null: no supported package manager on this host. */
  latest(): Updates | null | undefined;
  /** Checks now, or joins the check already running. Rejects with an UpdateCheckError. */
  checkNow(): Promise<Updates | null>;
}

type Outcome = { ok: true; value: Updates | null } | { ok: false; error: UpdateCheckError };

async function checkHost(ctx: CheckContext): Promise<Updates | null> {
  const manager = detectPackageManager(ctx.which);
  if (manager === null) return null;
  switch (manager.name) {
    case 'apt':
      return checkApt(manager.binary, ctx);
    case 'dnf':
      return checkDnf(manager.binary, ctx);
    case 'pacman':
      return checkPacman(manager.binary, ctx);
  }
}

const describe = (u: Updates | null | undefined) =>
  u === undefined ? 'none yet' : u === null ? 'no package manager' : `${u.available} available (${u.manager})`;

export function createUpdatesChecker(opts: UpdatesCheckerOptions): UpdatesChecker {
  const { every, timeout, log } = opts;
  const now = opts.now ?? Date.now;
  const run = opts.run ?? runCommand;
  const which = opts.which ?? ((name: string) => findOnPath(name));

  let latest: Updates | null | undefined;
  let inflight: Promise<Outcome> | null = null;
  let controller: AbortController | null = null;
  let timer: NodeJS.Timeout | null = null;
  // Bumped by start() and stop(), so a check finishing after a stop/start pair does not schedule
  // a second timer next to the new one.
  let generation = 0;
  let running = false;

  function check(): Promise<Outcome> {
    if (inflight !== null) return inflight;
    const ctl = new AbortController();
    controller = ctl;
    const deadline = setTimeout(
      () => ctl.abort(new UpdateCheckError('UPDATES_TIMEOUT', `the update check took longer than ${timeout} ms; its processes were killed`)),
      timeout,
    );
    const started = now();
    inflight = checkHost({ run, which, now, signal: ctl.signal })
      .then(
        (value): Outcome => {
          latest = value;
          log.info('update check done', { result: describe(value), ms: Math.round(now() - started) });
          return { ok: true, value };
        },
        (err: unknown): Outcome => {
          const error = asUpdateCheckError(err);
          const fields = { code: error.code, error: error.message, kept: describe(latest) };
          if (error.code === 'UPDATES_STOPPED') log.info('update check abandoned', fields);
          else log.warn('update check failed, keeping the previous result', fields);
          return { ok: false, error };
        },
      )
      .finally(() => {
        clearTimeout(deadline);
        inflight = null;
        controller = null;
      });
    return inflight;
  }

  function schedule(delay: number, gen: number): void {
    timer = setTimeout(() => {
      timer = null;
      // check() never rejects: failures are outcomes, already logged.
      void check().then(() => {
        if (running && gen === generation) schedule(every, gen);
      });
    }, delay);
    // The agent's MQTT connection keeps the process alive; this timer alone should not.
    timer.unref();
  }

  return {
    start() {
      if (running) return;
      running = true;
      schedule(opts.firstDelay ?? 5_000 + Math.random() * 25_000, ++generation);
    },
    stop() {
      running = false;
      generation++;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      controller?.abort(new UpdateCheckError('UPDATES_STOPPED', 'the updates checker was stopped'));
    },
    latest: () => latest,
    async checkNow() {
      const outcome = await check();
      if (!outcome.ok) throw outcome.error;
      return outcome.value;
    },
  };
}
