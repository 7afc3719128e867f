/** A bench's options, or its usage with why they are wrong and exit 2 (no stack trace for a typo). */
export function optionsOrExit<T>(bench: string, usage: string, parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    console.error(`${bench}: ${(err as Error).message}\n\n${usage}`);
    process.exit(2);
  }
}
