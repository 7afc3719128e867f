/**
 * `<stateDir>/checks-state.json`: what the scheduler knows about every check (last status, last
 * run, next run, last output), rewritten atomically after each run. The agent reads it back at
 * start so the last results survive a restart; the CLI reads it to show checks without asking
 * the agent. Writer and reader live here together so they cannot drift apart.
 */
import { randomHex } from '../random-hex.js';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckError, systemReason } from './errors.js';
import type { CheckStatus } from './status-line.js';

export const CHECK_STATE_FILE = 'checks-state.json';

/** One check as `list()` shows it. Times are ms since the epoch. */
export interface CheckInfo {
  id: string;
  kind: 'script' | 'probe';
  name: string;
  description: string | null;
  version: string | null;
  /** The schedule as written. */
  schedule: string;
  timeoutMs: number;
  /** The script; null for probes. */
  path: string | null;
  running: boolean;
  lastStatus: CheckStatus | null;
  lastMessage: string | null;
  /** When the last run ended. */
  lastRun: number | null;
  lastDurationMs: number | null;
  /** The next slot; null when the scheduler is not running it (stopped, or read from a file by the CLI). */
  nextRun: number | null;
}

export interface CheckStateEntry extends CheckInfo {
  lastExitCode: number | null;
  /** Output of the last run (within the agent's maxOutputBytes). */
  lastOutput: string | null;
}

export interface CheckStateFile {
  version: 1;
  writtenAt: number;
  checks: Record<string, CheckStateEntry>;
}

export function checkStatePath(stateDir: string): string {
  return join(stateDir, CHECK_STATE_FILE);
}

/** Writes the file atomically (temporary file, then rename); throws CheckError. */
export async function writeCheckState(stateDir: string, state: CheckStateFile): Promise<void> {
  const path = checkStatePath(stateDir);
  // Unique per write, so two writers never rename each other's half-written file.
  const tmp = `${path}.${process.pid}.${randomHex(4)}.tmp`;
  try {
    await mkdir(stateDir, { recursive: true });
    await writeFile(tmp, `${JSON.stringify(state)}\n`, { mode: 0o600 });
    await rename(tmp, path);
  } catch (err) {
    const leftover = await rm(tmp, { force: true }).then(
      () => '',
      (rmErr: unknown) => ` (and cannot remove ${tmp}: ${systemReason(rmErr)})`,
    );
    throw new CheckError('CHECK_STATE_WRITE_FAILED', `cannot write ${path}: ${systemReason(err)}${leftover}`, { cause: err });
  }
}

function isEntry(v: unknown): v is CheckStateEntry {
  const e = v as Partial<CheckStateEntry> | null;
  return typeof e === 'object' && e !== null && typeof e.id === 'string' && typeof e.name === 'string' && typeof e.schedule === 'string';
}

/** The state file, or null when there is none yet; throws CheckError CHECK_STATE_UNREADABLE. */
export async function readCheckState(stateDir: string): Promise<CheckStateFile | null> {
  const path = checkStatePath(stateDir);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CheckError('CHECK_STATE_UNREADABLE', `cannot read ${path}: ${systemReason(err)}`, { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new CheckError('CHECK_STATE_UNREADABLE', `${path} is not JSON: ${(err as Error).message}`, { cause: err });
  }
  const file = parsed as Partial<CheckStateFile> | null;
  if (typeof file !== 'object' || file === null || file.version !== 1 || typeof file.checks !== 'object' || file.checks === null) {
    throw new CheckError('CHECK_STATE_UNREADABLE', `${path} is not a version 1 checks state file`);
  }
  const checks: Record<string, CheckStateEntry> = {};
  for (const [id, entry] of Object.entries(file.checks)) {
    if (isEntry(entry) && entry.id === id) checks[id] = entry;
  }
  return { version: 1, writtenAt: typeof file.writtenAt === 'number' ? file.writtenAt : 0, checks };
}
