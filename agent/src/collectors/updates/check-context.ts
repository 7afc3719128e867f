/** What a per-manager check needs: a way to run commands, the check's abort signal, PATH lookup, a clock. */
import type { Metrics } from '@sitrep/schemas';
import type { Which } from './find-on-path.js';
import type { CommandOutput, CommandRunner } from './run-command.js';

/** The contract's `Updates` object (schemas exports the schema, not a named static type). */
export type Updates = NonNullable<Metrics['updates']>;

export interface CheckContext {
  run: CommandRunner;
  /** Aborted on timeout or stop; passed to every command of the check. */
  signal: AbortSignal;
  which: Which;
  now: () => number;
}

export function runIn(ctx: CheckContext, argv: readonly string[]): Promise<CommandOutput> {
  // Between two commands of one check: do not start the next one after a timeout.
  ctx.signal.throwIfAborted();
  return ctx.run(argv, { signal: ctx.signal });
}
