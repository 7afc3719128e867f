/** One HTTP POST with a timeout, shared by the webhook and ntfy channels. 2xx is success. */
import { abortReason, withTimeout } from './abort.js';
import { NotifyError } from './errors.js';

export type Fetch = typeof globalThis.fetch;

export interface PostRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

export async function post(fetchFn: Fetch, req: PostRequest, stop: AbortSignal): Promise<void> {
  const signal = withTimeout(stop, req.timeoutMs);
  let status: number;
  try {
    const res = await fetchFn(req.url, { method: 'POST', headers: req.headers, body: req.body, signal, redirect: 'error' });
    status = res.status;
    // Read the answer to free the connection; its content is not used (it may echo what we sent).
    await res.arrayBuffer();
  } catch (err) {
    if (signal.aborted) throw abortReason(signal, req.timeoutMs);
    throw networkError(err);
  }
  if (status < 200 || status > 299) throw new NotifyError('NOTIFY_HTTP_STATUS', `HTTP ${status}`);
}

/** undici reports `fetch failed` with the useful part (`connect ECONNREFUSED 127.0.0.1:8080`) in `cause`. */
function networkError(err: unknown): NotifyError {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new NotifyError('NOTIFY_NETWORK', message.slice(0, 300), { cause: err });
}
