/**
 * The control socket's client side, for the `sitrep` command on the same host: one request, the
 * agent's messages as they come, a coded error when the agent is not there or says no.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { controlCodecs, MAX_MESSAGE_BYTES, type ControlErrorCode, type ControlMessage, type ControlRequest } from './protocol.js';

export type ControlClientErrorCode = ControlErrorCode | 'AGENT_NOT_RUNNING' | 'PERMISSION_DENIED' | 'PROTOCOL';

export class ControlClientError extends Error {
  override readonly name = 'ControlClientError';
  constructor(
    readonly code: ControlClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

type Reply = Exclude<ControlMessage, { type: 'error' }>;

/** Sends `request` and calls `onMessage` for every answer; resolves when the agent is done (or `signal` aborts). */
export function askAgent(path: string, request: ControlRequest, onMessage: (m: Reply) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    let failure: ControlClientError | null = null;
    const fail = (e: ControlClientError) => {
      failure ??= e;
      socket.destroy();
    };
    const onAbort = () => socket.destroy();
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    const onError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') fail(new ControlClientError('AGENT_NOT_RUNNING', `the sitrep agent is not running on this host (no agent answers on ${path})`));
      else if (err.code === 'EACCES' || err.code === 'EPERM') fail(new ControlClientError('PERMISSION_DENIED', `permission denied on ${path}: run this as root (or as the agent's user)`));
      else fail(new ControlClientError('PROTOCOL', `the agent's control socket ${path}: ${err.message}`));
    };
    socket.on('error', onError);
    const lines = createInterface({ input: socket, crlfDelay: Infinity });
    // readline passes the socket's errors on; the first one decides (fail is idempotent).
    lines.on('error', onError);
    lines.on('line', (line) => {
      const m = controlCodecs.message.decode(line, MAX_MESSAGE_BYTES);
      if (!m.ok) fail(new ControlClientError('PROTOCOL', `unexpected answer from the agent: ${m.reason}`));
      else if (m.value.type === 'error') fail(new ControlClientError(m.value.code, m.value.message));
      else onMessage(m.value);
    });
    socket.once('close', () => {
      signal?.removeEventListener('abort', onAbort);
      if (failure !== null) reject(failure);
      else resolve();
    });
  });
}
