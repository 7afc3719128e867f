/** MQTT over TCP, or over TLS when a certificate and key are given (MQTTS, usually port 8883). */
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import type { Aedes } from 'aedes';
import { throttledWarn } from '../limits/throttled-log.js';
import { closeServer, listen, type Listening } from './http.js';
import { handOver, type ConnectionPolicy } from './policy.js';

export interface TlsFiles {
  /** PEM certificate chain and private key (contents, not paths). */
  cert: string | Buffer;
  key: string | Buffer;
}

export interface TcpTransportOptions {
  host: string;
  port: number;
  tls?: TlsFiles | undefined;
  policy: ConnectionPolicy;
}

export async function startTcpTransport(broker: Aedes, opts: TcpTransportOptions): Promise<Listening> {
  const sockets = new Set<Socket>();
  const transport = opts.tls === undefined ? 'tcp' : 'tls';
  let server: Server;
  if (opts.tls === undefined) {
    server = createNetServer();
  } else {
    const tls = createTlsServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' });
    const warn = throttledWarn(opts.policy.log, 'tls handshake failed');
    tls.on('tlsClientError', (err, socket) => warn({ remote: socket.remoteAddress, error: err.message }));
    tls.on('secureConnection', (socket: TLSSocket) => handOver(broker, socket, opts.policy, transport, socket.remoteAddress));
    server = tls;
  }
  // Raw sockets go through the gate before any TLS handshake or MQTT byte costs us anything.
  server.on('connection', (socket: Socket) => {
    const admission = opts.policy.gate.admit(socket.remoteAddress, transport);
    if (!admission.ok) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => {
      sockets.delete(socket);
      admission.release();
    });
    if (opts.tls === undefined) handOver(broker, socket, opts.policy, transport, socket.remoteAddress);
  });
  const bound = await listen(server, opts.host, opts.port);
  return { port: bound, close: () => closeServer(server, sockets) };
}
