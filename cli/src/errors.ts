/** Errors the CLI prints as one clear message (no stack trace) and turns into an exit code. */
export class CliError extends Error {
  readonly code = 'CLI_USAGE';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
