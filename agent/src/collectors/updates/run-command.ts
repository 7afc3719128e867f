/**
 * Runs one package manager command on the agent's process runner (checks/run-process.ts): an
 * argument array (never a shell string), in its own process group so a timeout can kill it
 * together with everything it started (apt methods, dnf plugins, checkupdates' fakeroot pacman),
 * with LC_ALL=C so the output we parse is not translated. This file only maps the runner's
 * outcomes onto what the update checks expect: both streams in full, failures as UpdateCheckErrors.
 */
import { runProcess } from '../../checks/run-process.js';
import { UpdateCheckError } from './update-check-error.js';

export interface CommandOutput {
  /** Exit status, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Aborting kills the process group and rejects with the signal's reason. */
  signal: AbortSignal;
  /** stdout + stderr ceiling; past it the group is killed. Default 4 MiB (apt lists ~250 bytes per package). */
  maxOutputBytes?: number;
}

/** Resolves with any exit status (what a status means is the caller's business); rejects with an UpdateCheckError. */
export type CommandRunner = (argv: readonly string[], opts: RunOptions) => Promise<CommandOutput>;

/** Between SIGTERM and SIGKILL when a check is aborted: package managers clean up their locks on SIGTERM. */
const KILL_GRACE_MS = 1000;

function abortReason(signal: AbortSignal): UpdateCheckError {
  return signal.reason instanceof UpdateCheckError ? signal.reason : new UpdateCheckError('UPDATES_STOPPED', 'the check was aborted');
}

export const runCommand: CommandRunner = async (argv, { signal, maxOutputBytes = 4 * 1024 * 1024 }) => {
  const file = argv[0];
  if (file === undefined) throw new UpdateCheckError('UPDATES_SPAWN_FAILED', 'empty command');
  if (signal.aborted) throw abortReason(signal);
  // Too much output ends the run like an abort, with its own reason.
  const overflow = new AbortController();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let bytes = 0;
  const collect = (chunks: Buffer[]) => (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes <= maxOutputBytes) chunks.push(chunk);
    else if (!overflow.signal.aborted) overflow.abort(new UpdateCheckError('UPDATES_OUTPUT_TOO_LARGE', `${file} wrote more than ${maxOutputBytes} bytes`));
  };
  const r = await runProcess(argv, {
    timeoutMs: Infinity,
    maxOutputBytes: 0,
    signal: AbortSignal.any([signal, overflow.signal]),
    env: { ...process.env, LC_ALL: 'C' },
    killGraceMs: KILL_GRACE_MS,
    onStdout: collect(out),
    onStderr: collect(err),
  });
  if (r.end === 'spawn-failed') {
    throw new UpdateCheckError('UPDATES_SPAWN_FAILED', `cannot run ${file}: ${r.spawnError?.message ?? 'unknown error'}`, { cause: r.spawnError });
  }
  if (r.end === 'aborted') {
    if (r.problems.length > 0) throw new UpdateCheckError('UPDATES_KILL_FAILED', `${file}: ${r.problems.join('; ')}`);
    throw overflow.signal.aborted ? abortReason(overflow.signal) : abortReason(signal);
  }
  return { code: r.exitCode, signal: r.signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
};
