/**
 * Runs one package manager command: an argument array (never a shell string), in its own process
 * group so a timeout can kill it together with everything it started (apt methods, dnf plugins,
 * checkupdates' fakeroot pacman), with LC_ALL=C so the output we parse is not translated.
 */
import { spawn } from 'node:child_process';
import { UpdateCheckError } from './update-check-error.js';

export interface CommandOutput {
  /** Exit status, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Aborting kills the process group with SIGKILL and rejects with the signal's reason. */
  signal: AbortSignal;
  /** stdout + stderr ceiling; past it the group is killed. Default 4 MiB (apt lists ~250 bytes per package). */
  maxOutputBytes?: number;
}

/** Resolves with any exit status (what a status means is the caller's business); rejects with an UpdateCheckError. */
export type CommandRunner = (argv: readonly string[], opts: RunOptions) => Promise<CommandOutput>;

function abortReason(signal: AbortSignal): UpdateCheckError {
  return signal.reason instanceof UpdateCheckError ? signal.reason : new UpdateCheckError('UPDATES_STOPPED', 'the check was aborted');
}

export const runCommand: CommandRunner = (argv, { signal, maxOutputBytes = 4 * 1024 * 1024 }) =>
  new Promise<CommandOutput>((resolve, reject) => {
    const [file, ...args] = argv;
    if (file === undefined) return reject(new UpdateCheckError('UPDATES_SPAWN_FAILED', 'empty command'));
    if (signal.aborted) return reject(abortReason(signal));

    const child = spawn(file, args, {
      // detached: the child leads a new process group (setsid), so -pid names it and all its descendants.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LC_ALL: 'C' },
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    let settled = false;

    function settle(fn: () => void): void {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      fn();
    }

    /** SIGKILL to the whole group; null when done or nothing was left to kill. */
    function killGroup(): UpdateCheckError | null {
      if (child.pid === undefined) return null;
      try {
        process.kill(-child.pid, 'SIGKILL');
        return null;
      } catch (e) {
        // ESRCH: every member has exited already, which is what we wanted.
        if ((e as NodeJS.ErrnoException).code === 'ESRCH') return null;
        return new UpdateCheckError('UPDATES_KILL_FAILED', `cannot kill process group ${child.pid} of ${file}: ${(e as Error).message}`, { cause: e });
      }
    }

    function onAbort(): void {
      const killFailure = killGroup();
      // Do not wait for 'close': a descendant that escaped the group could hold the pipes open forever.
      child.stdout.destroy();
      child.stderr.destroy();
      settle(() => reject(killFailure ?? abortReason(signal)));
    }
    signal.addEventListener('abort', onAbort, { once: true });

    const collect = (chunks: Buffer[]) => (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes <= maxOutputBytes) {
        chunks.push(chunk);
        return;
      }
      const killFailure = killGroup();
      child.stdout.destroy();
      child.stderr.destroy();
      settle(() => reject(killFailure ?? new UpdateCheckError('UPDATES_OUTPUT_TOO_LARGE', `${file} wrote more than ${maxOutputBytes} bytes`)));
    };
    child.stdout.on('data', collect(out));
    child.stderr.on('data', collect(err));

    child.on('error', (e) =>
      settle(() => reject(new UpdateCheckError('UPDATES_SPAWN_FAILED', `cannot run ${file}: ${e.message}`, { cause: e }))),
    );
    child.on('close', (code, sig) =>
      settle(() =>
        resolve({ code, signal: sig, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
      ),
    );
  });
