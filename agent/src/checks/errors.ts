/**
 * Errors of the checks module: small classes with stable string codes, so the agent and the CLI
 * can branch on `code` and print `message` as it is.
 */

/** A schedule text that is neither a systemd calendar spec, a cron expression nor an interval. */
export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
  readonly code = 'SCHEDULE_INVALID';

  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`schedule ${JSON.stringify(text)} is not valid: ${reason}`);
  }
}

export type CheckErrorCode =
  /** The metadata header of a script is missing a field or has a bad one; `line` says where. */
  | 'CHECK_METADATA_INVALID'
  /** The file cannot be read (permissions, vanished, not a regular file). */
  | 'CHECK_UNREADABLE'
  /** Two scripts (or a script and a configured probe) resolve to the same id. */
  | 'CHECK_ID_TAKEN'
  /** `addCheck` found a check with this id already installed and `replace` was not given. */
  | 'CHECK_EXISTS'
  /** No check with this id (catalog, `runNow`). */
  | 'CHECK_NOT_FOUND'
  /** An id given by a caller breaks the item id rule. */
  | 'CHECK_ID_INVALID'
  /** Installing or removing a check file failed; the message names the file and the system error. */
  | 'CHECK_INSTALL_FAILED'
  /** `checks-state.json` cannot be written (disk full, permissions). */
  | 'CHECK_STATE_WRITE_FAILED'
  /** `checks-state.json` exists but cannot be read or parsed. */
  | 'CHECK_STATE_UNREADABLE'
  /** The scheduler was stopped. */
  | 'CHECK_SCHEDULER_STOPPED';

export class CheckError extends Error {
  override readonly name: string = 'CheckError';

  constructor(
    readonly code: CheckErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Refused metadata: `line` is 1-based, or 0 when the problem is the file name; `reason` is the
 * problem without the position, and the message reads
 * `backups.sh line 3: schedule "every tuesday" is not valid: ...`.
 */
export class CheckMetadataError extends CheckError {
  override readonly name = 'CheckMetadataError';

  constructor(
    readonly file: string,
    readonly line: number,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super('CHECK_METADATA_INVALID', line > 0 ? `${file} line ${line}: ${reason}` : `${file}: ${reason}`, options);
  }
}

/** The `code` of a Node system error (`ENOENT`, `EACCES`), or the message when there is none. */
export function systemReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.code === 'string') return e.code;
  return err instanceof Error ? err.message : String(err);
}
