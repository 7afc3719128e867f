/** Timeouts and stops reach a delivery as one AbortSignal; these turn its reason into a NotifyError. */
import { NotifyError } from './errors.js';

/** `signal` (the notifier's stop) or `timeoutMs`, whichever comes first. */
export function withTimeout(signal: AbortSignal, timeoutMs: number): AbortSignal {
  return AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
}

/** Why `signal` was aborted, as a NotifyError (the stop reason already is one). */
export function abortReason(signal: AbortSignal, timeoutMs: number): NotifyError {
  const reason: unknown = signal.reason;
  if (reason instanceof NotifyError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return new NotifyError('NOTIFY_TIMEOUT', `no answer within ${timeoutMs} ms`);
  return new NotifyError('NOTIFY_FAILED', `aborted: ${reason instanceof Error ? reason.message : String(reason)}`);
}

/** Rejects once `signal` aborts; `settled` removes the listener. */
export function rejectOnAbort(signal: AbortSignal, timeoutMs: number): { promise: Promise<never>; settled(): void } {
  let onAbort = (): void => undefined;
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortReason(signal, timeoutMs));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return { promise, settled: () => signal.removeEventListener('abort', onAbort) };
}
