/**
 * What a worker thread's error says. An error thrown in a worker reaches the parent as a
 * structured clone: better-sqlite3's SqliteError arrives as a plain object with its `code` and no
 * message, so `err.message` alone would log nothing.
 */
export function describeWorkerError(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { code?: unknown; message?: unknown };
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (message !== undefined) return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message;
  if (code !== undefined) return code;
  try {
    return err instanceof Object ? JSON.stringify(err) : String(err);
  } catch {
    return String(err);
  }
}
