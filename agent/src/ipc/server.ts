/**
 * The control socket's server side (protocol.ts): one request per connection, validated before
 * anything is done with it; tails from the sources, follows from the log feed.
 *
 * The socket is created in the agent's state directory and set to mode 0600 right after it is
 * bound; under systemd the directory itself is 0700 (StateDirectoryMode) and the umask 0077, so
 * there is no moment at which another user could connect. A socket file left by an agent that
 * died is replaced; a live agent's socket is not (the second agent logs why and serves none).
 */
import { chmodSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Logger, ServiceState } from '@sitrep/schemas';
import type { FeedLine, LogFeed } from './log-feed.js';
import { decodeRequest, MAX_REQUEST_BYTES, MAX_TAIL_LINES, type ControlErrorCode, type ControlMessage, type ControlRequest } from './protocol.js';

export type TailResult = { ok: true; lines: FeedLine[] } | { ok: false; code: ControlErrorCode; message: string };

export interface ControlSources {
  /** The last `n` lines of a log source, oldest first, or why not (UNKNOWN_ID, UNAVAILABLE). */
  tail(id: string, n: number): Promise<TailResult>;
  feed: LogFeed;
  processes(): ServiceState[];
}

export interface ControlServer {
  readonly path: string;
  /** Ends every connection (followers included), stops listening and removes the socket file. */
  close(): Promise<void>;
}

export class ControlSocketError extends Error {
  override readonly name = 'ControlSocketError';
  constructor(
    readonly code: 'SOCKET_IN_USE' | 'SOCKET_FAILED',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A client that sends no complete request within this time is disconnected. */
const REQUEST_WAIT_MS = 5000;
/** A follower that lets this much output pile up unread is disconnected (logged): the agent's memory comes first. */
const MAX_BACKLOG_BYTES = 4 * 1024 * 1024;

function listenOn(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => reject(err);
    server.once('error', fail);
    server.listen(path, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

/** Whether something answers on the socket at `path` (a live agent), within a second. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), 1000);
    probe.once('connect', () => done(true));
    probe.once('error', () => done(false));
  });
}

export async function startControlServer(o: { path: string; log: Logger; sources: ControlSources }): Promise<ControlServer> {
  const { path, log, sources } = o;
  const connections = new Set<Socket>();
  const server = createServer((socket) => serve(socket));

  try {
    await listenOn(server, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw new ControlSocketError('SOCKET_FAILED', `cannot listen on ${path}: ${(err as Error).message}`, { cause: err });
    if (await answers(path)) throw new ControlSocketError('SOCKET_IN_USE', `${path} is served by another running agent`);
    try {
      unlinkSync(path);
      await listenOn(server, path);
    } catch (again) {
      throw new ControlSocketError('SOCKET_FAILED', `cannot replace the stale socket ${path}: ${(again as Error).message}`, { cause: again });
    }
  }
  try {
    chmodSync(path, 0o600);
  } catch (err) {
    server.close();
    throw new ControlSocketError('SOCKET_FAILED', `cannot restrict ${path} to its owner: ${(err as Error).message}`, { cause: err });
  }

  function send(socket: Socket, message: ControlMessage): void {
    if (!socket.writable) return;
    socket.write(`${JSON.stringify(message)}\n`);
  }

  function refuse(socket: Socket, code: ControlErrorCode, message: string): void {
    send(socket, { type: 'error', code, message });
    socket.end();
  }

  /** Lines in messages of at most MAX_TAIL_LINES each. */
  function sendLines(socket: Socket, lines: readonly FeedLine[]): void {
    for (let i = 0; i < lines.length; i += MAX_TAIL_LINES) send(socket, { type: 'lines', lines: lines.slice(i, i + MAX_TAIL_LINES) });
  }

  async function logs(socket: Socket, r: Extract<ControlRequest, { op: 'logs' }>): Promise<void> {
    // Follow first and tail second, so no line falls between the two. The feed then brings lines
    // the tail already had (a batch goes out up to 500 ms after its lines entered the ring, the
    // journal follower lags the journal): skip up to the tail's last line, in order.
    const early: FeedLine[] = [];
    let live = false;
    let last: FeedLine | null = null;
    const forward = (batch: readonly FeedLine[]) => {
      let lines = batch;
      if (last !== null) {
        const { ts, text } = last;
        const at = lines.findIndex((l) => l.ts === ts && l.text === text);
        lines = at >= 0 ? lines.slice(at + 1) : lines.filter((l) => l.ts > ts);
        if (at >= 0 || lines.length > 0) last = null;
      }
      sendLines(socket, lines);
      if (socket.writableLength > MAX_BACKLOG_BYTES) {
        log.warn('log follower too slow; disconnected', { id: r.id, backlogBytes: socket.writableLength });
        socket.destroy();
      }
    };
    const unfollow = r.follow ? sources.feed.follow(r.id, (lines) => (live ? forward(lines) : early.push(...lines))) : () => undefined;
    socket.once('close', unfollow);
    const tail = await sources.tail(r.id, r.lines);
    if (!tail.ok) {
      unfollow();
      refuse(socket, tail.code, tail.message);
      return;
    }
    sendLines(socket, tail.lines);
    if (!r.follow) {
      socket.end();
      return;
    }
    last = tail.lines.at(-1) ?? null;
    live = true;
    if (early.length > 0) forward(early.splice(0));
  }

  function handle(socket: Socket, line: string): void {
    const decoded = decodeRequest(line);
    if (!decoded.ok) {
      log.warn('control request refused', { reason: decoded.reason });
      refuse(socket, 'BAD_REQUEST', decoded.reason);
      return;
    }
    const r = decoded.value;
    if (r.op === 'processes') {
      send(socket, { type: 'processes', processes: sources.processes() });
      socket.end();
      return;
    }
    logs(socket, r).catch((err: unknown) => {
      log.error('control request failed', { op: r.op, id: r.id, error: (err as Error).message });
      refuse(socket, 'UNAVAILABLE', (err as Error).message);
    });
  }

  function serve(socket: Socket): void {
    connections.add(socket);
    socket.once('close', () => connections.delete(socket));
    socket.on('error', (err) => log.info('control connection error', { error: err.message }));
    const timer = setTimeout(() => refuse(socket, 'BAD_REQUEST', `no request within ${REQUEST_WAIT_MS} ms`), REQUEST_WAIT_MS);
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const nl = buffered.indexOf(0x0a);
      if (nl === -1 && buffered.length <= MAX_REQUEST_BYTES) return;
      clearTimeout(timer);
      socket.off('data', onData);
      if (nl === -1) refuse(socket, 'BAD_REQUEST', `request longer than ${MAX_REQUEST_BYTES} bytes`);
      else handle(socket, buffered.subarray(0, nl).toString('utf8'));
    };
    socket.on('data', onData);
    socket.once('close', () => clearTimeout(timer));
  }

  return {
    path,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of connections) s.end();
      // A follower that does not read cannot take a clean end: cut it after a moment.
      const cut = setTimeout(() => {
        for (const s of connections) s.destroy();
      }, 500);
      await closed;
      clearTimeout(cut);
      try {
        unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log.warn('cannot remove the control socket', { path, error: (err as Error).message });
      }
    },
  };
}
