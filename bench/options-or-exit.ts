/** Wrong bench options: what is wrong, the usage, exit 2 (no stack trace for a typo). */
export class OptionsError extends Error {
  readonly code = 'BENCH_OPTIONS';
}

/** A bench's options, or on an OptionsError its message and usage and exit 2 (other errors propagate). */
export function optionsOrExit<T>(bench: string, usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (!(err instanceof OptionsError)) throw err;
    console.error(`${bench}: ${err.message}\n\n${usage}`);
    process.exit(2);
  }
}
