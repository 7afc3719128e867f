/**
 * One HTTP server for the dashboard and MQTT over WebSocket (path /mqtt), so a browser needs one
 * origin and one port; HTTPS and WSS when a certificate and key are given. `/ui-config.json` tells
 * the ui the topic prefix and the MQTT path; `/session` tells it the role of its login.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Aedes } from 'aedes';
import { WebSocketServer } from 'ws';
import type { Logger } from '@sitrep/schemas';
import type { IdentityStore } from '../auth/identities.js';
import { handleSession, SESSION_PATH } from './session.js';
import { coalescingWebSocketStream } from './ws-coalesce.js';
import { serveStatic } from './static.js';
import { handOver, type ConnectionPolicy } from './policy.js';
import type { TlsFiles } from './tcp.js';

export const MQTT_WS_PATH = '/mqtt';

export interface HttpTransportOptions {
  host: string;
  port: number;
  uiDir?: string | undefined;
  prefix: string;
  log: Logger;
  tls?: TlsFiles | undefined;
  policy: ConnectionPolicy;
  /** Extra exact-path routes served by other parts of the hub (e.g. /metrics). */
  routes?: ReadonlyMap<string, RequestListener> | undefined;
  /** Answers `POST /session` (the role of a login) when given. */
  identities?: IdentityStore;
}

export interface Listening {
  port: number;
  close(): Promise<void>;
}

export function listen(server: Server | import('node:net').Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** Close a server and destroy the sockets it still holds, so shutdown never waits on a client. */
export function closeServer(server: import('node:net').Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((resolve) => server.close(() => resolve()));
}

export async function startHttpTransport(broker: Aedes, opts: HttpTransportOptions): Promise<Listening> {
  const uiConfig = JSON.stringify({ prefix: opts.prefix, mqttPath: MQTT_WS_PATH });
  const onRequest: RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = opts.routes?.get(path);
    if (route !== undefined) {
      void route(req, res);
    } else if (path === '/ui-config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache' }).end(uiConfig);
    } else if (path === SESSION_PATH && opts.identities !== undefined) {
      void handleSession(opts.identities, opts.log, req, res);
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else {
      serveStatic(opts.uiDir, req, res);
    }
  };
  const server: Server = opts.tls === undefined ? createServer(onRequest) : createHttpsServer({ cert: opts.tls.cert, key: opts.tls.key, minVersion: 'TLSv1.2' }, onRequest);
  const transport = opts.tls === undefined ? 'ws' : 'wss';
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  // A WebSocket message carries one or more MQTT packets; the packet guard checks each one, this
  // only stops ws from buffering a frame far past the limit first.
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.policy.maxPacketBytes + 16 });
  server.on('upgrade', (req, socket, head) => {
    if ((req.url ?? '').split('?')[0] !== MQTT_WS_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const remote = req.socket.remoteAddress;
    const admission = opts.policy.gate.admit(remote, transport);
    if (!admission.ok) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      return;
    }
    // The socket closes whether or not the handshake succeeds: release there.
    socket.once('close', admission.release);
    wss.handleUpgrade(req, socket, head, (ws) => {
      const stream = coalescingWebSocketStream(ws);
      stream.on('error', (err) => opts.log.warn('websocket stream error', { error: err.message }));
      handOver(broker, stream, opts.policy, transport, remote, req);
    });
  });
  const port = await listen(server, opts.host, opts.port);
  return {
    port,
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await closeServer(server, sockets);
    },
  };
}
