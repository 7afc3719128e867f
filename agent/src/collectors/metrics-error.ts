/** Why a host metrics snapshot (or one part of it) could not be read. */
export type MetricsErrorCode =
  /** A procfs file could not be opened or read. */
  | 'PROC_READ_FAILED'
  /** A procfs file did not have the shape the kernel documents (proc(5)). */
  | 'PROC_PARSE_FAILED'
  /** A procfs file grew past the reader's ceiling: something is badly wrong, not worth the memory. */
  | 'PROC_FILE_TOO_LARGE';

export class MetricsError extends Error {
  override readonly name = 'MetricsError';

  constructor(
    readonly code: MetricsErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
