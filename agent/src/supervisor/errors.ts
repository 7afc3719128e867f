/** Why the supervisor or a definition file refused or failed. */
export type SupervisorErrorCode =
  /** Two process definitions use the same id. */
  | 'DUPLICATE_ID'
  /** A definition file could not be written or would not read back identically. */
  | 'DEFINITION_WRITE_FAILED'
  /** A definition handed to `saveDefinition` does not pass the `ProcessConfig` schema. */
  | 'DEFINITION_INVALID';

export class SupervisorError extends Error {
  override readonly name = 'SupervisorError';

  constructor(
    readonly code: SupervisorErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
