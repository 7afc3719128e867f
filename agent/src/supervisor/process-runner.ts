/**
 * One run of a supervised process: spawn it as the leader of a new process group (setsid through
 * `detached: true`), cut its output into lines, signal the whole group, report the leader's exit,
 * and make sure nothing of the group outlives it (like systemd's KillMode=control-group, with the
 * process group standing in for the cgroup).
 *
 * The runner knows nothing of restart policies: it reports and obeys. It uses the real monotonic
 * clock for its own deadlines; the injected `now` of the supervisor only stamps events.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@sitrep/schemas';
import { LineSplitter } from './log-buffer.js';
import { groupAlive, signalGroup } from './proc-group.js';

/** After the leader exits, how long its last output may take to arrive before the exit is reported. */
export const EXIT_OUTPUT_WAIT_MS = 100;
/** How often leftover group members are looked for while they are being stopped. */
export const REAP_POLL_MS = 50;
/** After SIGKILL a process dies at once unless it is stuck in the kernel (D state); stop waiting then. */
export const KILL_WAIT_MS = 2000;

export type OutputStream = 'stdout' | 'stderr';

export interface RunnerSpec {
  id: string;
  argv: readonly [string, ...string[]];
  cwd?: string;
  env: Record<string, string>;
  /** Sent to leftovers of a group whose leader exited on its own. */
  stopSignal: NodeJS.Signals;
  stopGraceMs: number;
  procRoot?: string;
}

export interface RunnerHooks {
  onSpawn(pid: number): void;
  /** Called instead of onSpawn and onExit when there never was a process. */
  onSpawnError(message: string): void;
  onExit(exitCode: number | null, signal: NodeJS.Signals | null): void;
  onLine(stream: OutputStream, text: string): void;
}

export interface ProcessRunner {
  readonly id: string;
  /** Also the process group id. */
  readonly pid: number | null;
  /** Send `signal` to the group; whatever is left `graceMs` later gets SIGKILL. */
  terminate(signal: NodeJS.Signals, graceMs: number): void;
  /** SIGKILL to the group now. */
  kill(): void;
  /** The leader has exited and its group is gone (or survived SIGKILL for KILL_WAIT_MS, which is logged). */
  readonly done: Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function describeSpawnError(err: NodeJS.ErrnoException, file: string): string {
  if (err.code === 'ENOENT') return `${file}: no such file`;
  if (err.code === 'EACCES') return `${file}: permission denied`;
  return `cannot run ${file}: ${err.message}`;
}

function cwdProblem(cwd: string): string | null {
  try {
    return statSync(cwd).isDirectory() ? null : `cwd ${cwd} is not a directory`;
  } catch (err) {
    return `cwd ${cwd}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`;
  }
}

export function startRunner(spec: RunnerSpec, hooks: RunnerHooks, log: Logger): ProcessRunner {
  const procRoot = spec.procRoot ?? '/proc';
  let markDone!: () => void;
  const done = new Promise<void>((resolve) => (markDone = resolve));

  const never = (message: string): ProcessRunner => {
    setImmediate(() => {
      hooks.onSpawnError(message);
      markDone();
    });
    return { id: spec.id, pid: null, terminate: () => undefined, kill: () => undefined, done };
  };
  const badCwd = spec.cwd === undefined ? null : cwdProblem(spec.cwd);
  if (badCwd !== null) return never(badCwd);

  let child: ChildProcess;
  try {
    child = spawn(spec.argv[0], spec.argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    return never(describeSpawnError(err as NodeJS.ErrnoException, spec.argv[0]));
  }
  const pid = child.pid ?? null;
  // Once the group is gone its id may be reused: from then on this runner signals nothing.
  let finished = false;
  /** performance.now() when leftovers get SIGKILL; null until a stop began. */
  let deadline: number | null = null;
  let killed = false;

  let openStreams = 0;
  let outputClosed!: () => void;
  const allOutputClosed = new Promise<void>((resolve) => (outputClosed = resolve));
  for (const [name, stream] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
    if (stream === null) continue;
    openStreams++;
    const splitter = new LineSplitter((text) => hooks.onLine(name, text));
    stream.on('data', (chunk: Buffer) => splitter.push(chunk));
    stream.on('end', () => splitter.end());
    stream.on('error', (err) => log.warn('cannot read process output', { id: spec.id, stream: name, error: err.message }));
    stream.on('close', () => {
      if (--openStreams === 0) outputClosed();
    });
  }
  if (openStreams === 0) outputClosed();

  let spawned = false;
  let exited = false;
  child.once('spawn', () => {
    spawned = true;
    hooks.onSpawn(child.pid ?? 0);
  });
  child.on('error', (err: NodeJS.ErrnoException) => {
    if (!spawned && !exited) {
      exited = true;
      finished = true;
      hooks.onSpawnError(describeSpawnError(err, spec.argv[0]));
      markDone();
      return;
    }
    log.warn('child process error', { id: spec.id, pid, error: err.message });
  });
  child.once('exit', (code, signal) => {
    exited = true;
    void afterExit(code, signal)
      .catch((err: unknown) => log.error('process exit handling failed', { id: spec.id, pid, error: (err as Error).message }))
      .finally(() => {
        finished = true;
        markDone();
      });
  });

  async function afterExit(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    // The group may keep the pipes open (a grandchild); wait for the leader's last words, briefly.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([allOutputClosed, new Promise<void>((resolve) => (timer = setTimeout(resolve, EXIT_OUTPUT_WAIT_MS)))]);
    clearTimeout(timer);
    try {
      hooks.onExit(code, signal);
    } finally {
      await reapLeftovers();
    }
  }

  async function reapLeftovers(): Promise<void> {
    if (pid === null || !groupAlive(pid, procRoot)) return;
    if (deadline === null) {
      log.info('stopping what the process left behind in its group', { id: spec.id, pgid: pid, signal: spec.stopSignal });
      signalGroup(pid, spec.stopSignal);
      deadline = performance.now() + spec.stopGraceMs;
    }
    let killedAt: number | null = null;
    while (groupAlive(pid, procRoot)) {
      const t = performance.now();
      if (killedAt === null && (killed || t >= deadline)) {
        signalGroup(pid, 'SIGKILL');
        killedAt = t;
      }
      if (killedAt !== null && t - killedAt > KILL_WAIT_MS) {
        log.error('process group survived SIGKILL', { id: spec.id, pgid: pid });
        return;
      }
      await sleep(REAP_POLL_MS);
    }
  }

  function send(signal: NodeJS.Signals): void {
    if (pid === null || finished) return;
    if (signalGroup(pid, signal) === 'refused') log.warn('not allowed to signal every member of the process group', { id: spec.id, pgid: pid, signal });
  }

  return {
    id: spec.id,
    pid,
    terminate(signal, graceMs) {
      deadline ??= performance.now() + graceMs;
      send(signal);
    },
    kill() {
      killed = true;
      deadline ??= performance.now();
      send('SIGKILL');
    },
    done,
  };
}
