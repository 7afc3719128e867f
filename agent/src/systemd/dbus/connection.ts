/**
 * A minimal D-Bus client connection: a unix socket, EXTERNAL authentication (our uid), `Hello`,
 * method calls with string arguments matched to their replies by serial, and signals handed to one
 * callback. It replaces dbus-next, whose generic machinery (introspection XML, per-message closures,
 * big-integer libraries) cost the agent megabytes of heap and most of its CPU on a unit crash.
 */
import { connect, type Socket } from 'node:net';
import { decodeMessage, encodeMethodCall, messageLength, MessageType, type Message, type MethodCall } from './wire.js';

export class DbusError extends Error {
  readonly code = 'DBUS_ERROR';
  constructor(
    message: string,
    /** The D-Bus error name of an error reply, e.g. org.freedesktop.DBus.Error.AccessDenied. */
    readonly errorName?: string,
  ) {
    super(message);
  }
}

export interface DbusConnection {
  /** Our unique bus name (from Hello). */
  readonly name: string;
  call(c: Omit<MethodCall, 'serial'>): Promise<Message>;
  stop(): void;
}

export interface ConnectionEvents {
  signal(msg: Message): void;
  /** The connection broke (not called after stop()). */
  closed(reason: string): void;
}

/** `unix:path=/run/dbus/system_bus_socket` (or `unix:abstract=...`); other transports are refused. */
export function socketPathOf(address: string): string {
  for (const entry of address.split(';')) {
    const [transport, params = ''] = entry.split(':', 2) as [string, string?];
    if (transport !== 'unix') continue;
    const kv = new Map(params.split(',').map((p) => p.split('=', 2) as [string, string]));
    const path = kv.get('path');
    if (path !== undefined) return decodeURIComponent(path);
    const abstract = kv.get('abstract');
    if (abstract !== undefined) return `\0${decodeURIComponent(abstract)}`;
  }
  throw new DbusError(`no unix socket in D-Bus address ${JSON.stringify(address)}`);
}

/** Send NUL + AUTH EXTERNAL, wait for OK, then BEGIN. Returns what followed OK's line (usually nothing). */
function authenticate(socket: Socket): Promise<Buffer> {
  const uid = (process.getuid?.() ?? 0).toString();
  socket.write(`\0AUTH EXTERNAL ${Buffer.from(uid, 'ascii').toString('hex')}\r\n`);
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      got = Buffer.concat([got, chunk]);
      const eol = got.indexOf('\r\n');
      if (eol < 0) {
        if (got.length > 4096) fail(new DbusError('no answer line to AUTH'));
        return;
      }
      const line = got.toString('ascii', 0, eol);
      if (!line.startsWith('OK ')) return fail(new DbusError(`authentication refused: ${line.slice(0, 200)}`));
      cleanup();
      socket.write('BEGIN\r\n');
      resolve(got.subarray(eol + 2));
    };
    const fail = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onClose = () => fail(new DbusError('bus closed the connection during authentication'));
    const onError = (err: Error) => fail(err);
    const cleanup = () => {
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', onError);
  });
}

export async function openDbusConnection(socketPath: string, events: ConnectionEvents): Promise<DbusConnection> {
  const socket = connect(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let stopped = false;
  let broken: string | null = null;
  let serial = 0;
  const pending = new Map<number, { resolve(m: Message): void; reject(e: Error): void }>();

  const breakWith = (reason: string) => {
    if (broken !== null) return;
    broken = reason;
    for (const p of pending.values()) p.reject(new DbusError(`system bus: ${reason}`));
    pending.clear();
    socket.destroy();
    if (!stopped) events.closed(reason);
  };

  let buffered = await authenticate(socket).catch((err: Error) => {
    socket.destroy();
    throw err;
  });

  const dispatch = (msg: Message) => {
    if (msg.type === MessageType.Signal) return events.signal(msg);
    if (msg.replySerial === undefined) return; // a call to us: we export nothing
    const p = pending.get(msg.replySerial);
    if (p === undefined) return;
    pending.delete(msg.replySerial);
    if (msg.type === MessageType.Error) p.reject(new DbusError(`${msg.errorName}: ${String(msg.body[0] ?? '')}`, msg.errorName));
    else p.resolve(msg);
  };

  const drain = () => {
    for (;;) {
      const len = messageLength(buffered);
      if (len === null || buffered.length < len) return;
      const one = buffered.subarray(0, len);
      buffered = buffered.subarray(len);
      dispatch(decodeMessage(one));
    }
  };

  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    try {
      drain();
    } catch (err) {
      breakWith(`cannot read a message: ${(err as Error).message}`);
    }
  });
  socket.on('error', (err) => breakWith(err.message));
  socket.on('close', () => breakWith('connection closed'));

  const call = (c: Omit<MethodCall, 'serial'>): Promise<Message> => {
    if (broken !== null) return Promise.reject(new DbusError(`system bus: ${broken}`));
    serial = serial >= 0xffff_fffe ? 1 : serial + 1;
    const s = serial;
    return new Promise((resolve, reject) => {
      pending.set(s, { resolve, reject });
      socket.write(encodeMethodCall({ ...c, serial: s }));
    });
  };

  // Bytes that arrived with the OK line belong to the first message.
  if (buffered.length > 0) drain();
  const hello = await call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' }).catch(
    (err: Error) => {
      stopped = true;
      socket.destroy();
      throw err;
    },
  );
  return {
    name: String(hello.body[0] ?? ''),
    call,
    stop() {
      stopped = true;
      breakWith('stopped');
    },
  };
}
