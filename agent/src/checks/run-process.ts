/**
 * Runs one program for a check: an argument array (never a shell string) in its own process
 * group, so that a timeout or a stop reaches everything it started, grandchildren included.
 *
 * The agent's one runner for programs that run to their end: checks, probes and the package
 * update checks (collectors/updates/run-command.ts adapts it). Output past the budget is truncated
 * rather than fatal, a timeout is a result rather than an error, and the promise never rejects.
 *
 * Ending a run:
 * - timeout or abort: SIGTERM to the group, SIGKILL `killGraceMs` later to whatever is left;
 * - the program exits on its own: anything it left running in its group is killed with SIGKILL,
 *   as systemd does for a oneshot unit, so a stray `&` can neither hold the run open nor leak;
 * - a process that escaped the group (setsid) and holds the pipes: we stop reading after
 *   CLOSE_WAIT_MS instead of waiting for it forever.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { Readable } from 'node:stream';
import { BoundedOutput } from './bounded-output.js';

export interface ProcessOptions {
  /** Longest the program may run, ms; Infinity: until it exits or `signal` aborts. */
  timeoutMs: number;
  /**
   * stdout and stderr together, kept in arrival order; past it a truncation marker. 0 keeps
   * nothing (`output` is ''): the caller reads the streams through onStdout and onStderr.
   */
  maxOutputBytes: number;
  /** Aborting ends the run like a timeout, with `end: 'aborted'`. */
  signal?: AbortSignal;
  /** The whole environment of the program (nothing is inherited). */
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Between SIGTERM and SIGKILL on timeout or abort, ms. Default 2000. */
  killGraceMs?: number;
  /** Every stdout chunk, also those past the output budget (status lines are scanned here). */
  onStdout?: (chunk: Buffer) => void;
  /** Every stderr chunk, also those past the output budget. */
  onStderr?: (chunk: Buffer) => void;
}

export type ProcessEnd =
  /** Exited by itself; `exitCode` is set. */
  | 'exited'
  /** Died of a signal nobody here sent; `signal` is set. */
  | 'signalled'
  | 'timed-out'
  | 'aborted'
  /** Never started; `spawnError` says why (ENOENT, EACCES, ENOEXEC). */
  | 'spawn-failed';

export interface ProcessResult {
  end: ProcessEnd;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  /** Bytes written in all; more than kept when `truncated`. */
  outputBytes: number;
  truncated: boolean;
  /** From spawn to exit, ms. */
  durationMs: number;
  spawnError?: NodeJS.ErrnoException;
  /** Processes were still running in the group after the program exited, and were killed. */
  killedLeftovers: boolean;
  /** Trouble while killing (EPERM), for the log; empty normally. */
  problems: string[];
}

/** After the program exited, how long to wait for the pipes to close before we stop reading. */
const CLOSE_WAIT_MS = 500;

function notStarted(err: NodeJS.ErrnoException): ProcessResult {
  return { end: 'spawn-failed', exitCode: null, signal: null, output: '', outputBytes: 0, truncated: false, durationMs: 0, spawnError: err, killedLeftovers: false, problems: [] };
}

/**
 * Runs `argv` to its end, timeout or abort; never rejects (a failed start is `end: 'spawn-failed'`).
 * Throws RangeError, before starting anything, when maxOutputBytes is neither 0 nor at least MIN_OUTPUT_BUDGET.
 */
export function runProcess(argv: readonly string[], opts: ProcessOptions): Promise<ProcessResult> {
  const [file, ...args] = argv;
  if (file === undefined || file === '') return Promise.resolve(notStarted(Object.assign(new Error('empty command'), { code: 'EINVAL' })));
  // Before spawning: a bad budget (RangeError) must not leave an orphan behind.
  const output = opts.maxOutputBytes === 0 ? null : new BoundedOutput(opts.maxOutputBytes);
  let child: ChildProcessByStdio<null, Readable, Readable>;
  try {
    child = spawn(file, args, {
      // detached: the child leads a new process group (setsid), so -pid names it and all its descendants.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: opts.env,
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    });
  } catch (err) {
    // Invalid arguments (a NUL byte) throw before any process exists.
    return Promise.resolve(notStarted(err as NodeJS.ErrnoException));
  }
  return new Promise((resolve) => {
    const problems: string[] = [];
    const started = performance.now();
    let end: ProcessEnd | null = null;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let exitedAt: number | null = null;
    let killedLeftovers = false;
    let outputBytes = 0;
    let spawnError: NodeJS.ErrnoException | undefined;
    const timers: NodeJS.Timeout[] = [];
    let finished = false;

    /** Signals the whole group; false when nobody was left in it. */
    function signalGroup(sig: NodeJS.Signals | 0): boolean {
      if (child.pid === undefined) return false;
      try {
        process.kill(-child.pid, sig);
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        // ESRCH: every member has exited already, which is what we wanted.
        if (code !== 'ESRCH') problems.push(`cannot send ${sig || 'signal 0'} to process group ${child.pid}: ${code ?? String(err)}`);
        return false;
      }
    }

    function finish(): void {
      if (finished) return;
      finished = true;
      for (const t of timers) clearTimeout(t);
      opts.signal?.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      const result: ProcessResult = {
        end: end ?? (exitCode !== null ? 'exited' : 'signalled'),
        exitCode,
        signal: exitSignal,
        output: output?.text() ?? '',
        outputBytes: output?.totalBytes ?? outputBytes,
        truncated: output?.truncated ?? false,
        durationMs: Math.round((exitedAt ?? performance.now()) - started),
        killedLeftovers,
        problems,
      };
      if (spawnError !== undefined) result.spawnError = spawnError;
      resolve(result);
    }

    function terminate(why: 'timed-out' | 'aborted'): void {
      if (end !== null || exitedAt !== null || finished) return;
      end = why;
      signalGroup('SIGTERM');
      timers.push(
        setTimeout(() => {
          signalGroup('SIGKILL');
          // A process stuck in the kernel may never exit; do not wait for it past this.
          timers.push(setTimeout(finish, CLOSE_WAIT_MS));
        }, opts.killGraceMs ?? 2000),
      );
    }

    function onAbort(): void {
      terminate('aborted');
    }

    child.stdout.on('data', (chunk: Buffer) => {
      outputBytes += chunk.length;
      output?.push(chunk);
      opts.onStdout?.(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      outputBytes += chunk.length;
      output?.push(chunk);
      opts.onStderr?.(chunk);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      // Only spawn failures reach here: kill() errors are caught in signalGroup.
      spawnError = err;
      end = 'spawn-failed';
      finish();
    });
    child.on('exit', (code, sig) => {
      exitedAt = performance.now();
      exitCode = code;
      exitSignal = sig;
      // Whatever the program left behind in its group goes with it.
      if (signalGroup(0)) killedLeftovers = signalGroup('SIGKILL');
      timers.push(setTimeout(finish, CLOSE_WAIT_MS));
    });
    child.on('close', finish);

    if (Number.isFinite(opts.timeoutMs)) timers.push(setTimeout(() => terminate('timed-out'), opts.timeoutMs));
    if (opts.signal?.aborted) terminate('aborted');
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
