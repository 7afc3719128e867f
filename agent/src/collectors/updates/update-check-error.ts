/** Why a package update check produced no result. The previous result is kept in every case. */
export type UpdateCheckErrorCode =
  /** The check ran past its timeout; its whole process group was killed. */
  | 'UPDATES_TIMEOUT'
  /** The checker was stopped while a check was running; its process group was killed. */
  | 'UPDATES_STOPPED'
  /** The package manager could not be started (removed meanwhile, not executable). */
  | 'UPDATES_SPAWN_FAILED'
  /** The package manager exited with a status that means failure (broken lists, no network). */
  | 'UPDATES_COMMAND_FAILED'
  /** The package manager wrote more than we are willing to hold in memory. */
  | 'UPDATES_OUTPUT_TOO_LARGE'
  /** Killing the process group failed for a reason other than "already gone". */
  | 'UPDATES_KILL_FAILED'
  /** Anything else that went wrong; the message says what. */
  | 'UPDATES_FAILED';

export class UpdateCheckError extends Error {
  override readonly name = 'UpdateCheckError';

  constructor(
    readonly code: UpdateCheckErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function asUpdateCheckError(err: unknown): UpdateCheckError {
  if (err instanceof UpdateCheckError) return err;
  return new UpdateCheckError('UPDATES_FAILED', err instanceof Error ? err.message : String(err), { cause: err });
}

/** The last non-empty line of a command's stderr, for an error message ("E: ..." from apt). */
export function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return (lines[lines.length - 1] ?? '').trim().slice(0, 300);
}
