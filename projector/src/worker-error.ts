/**
 * What a worker thread's error says. An error thrown in a worker reaches the parent as a
 * structured clone: better-sqlite3's SqliteError arrives as a plain object with its `code` and no
 * message, so `err.message` alone would log nothing.
 */
export function describeWorkerError(err: unknown): string {
  if (err instanceof Error) return err.message;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String(err);
}
