/**
 * Which listeners the broker opens, and where. Plain MQTT and HTTP carry passwords in clear, so
 * they bind to loopback only, unless explicitly allowed; with a certificate and key, MQTT over TLS
 * and HTTPS/WSS take the public address and plain MQTT stays on loopback for local clients.
 */
import type { Aedes } from 'aedes';
import { ConfigError } from '@sitrep/schemas/config';
import type { RequestListener } from 'node:http';
import type { IdentityStore } from '../auth/identities.js';
import { startHttpTransport, type Listening } from './http.js';
import type { ConnectionPolicy } from './policy.js';
import { startTcpTransport, type TlsFiles } from './tcp.js';

export interface ListenerOptions {
  host: string;
  tcpPort: number;
  httpPort: number;
  tls?: TlsFiles | undefined;
  tlsPort: number;
  /** Plain MQTT/HTTP on a non-loopback address (a trusted network, or TLS terminated in front). */
  allowPlain: boolean;
  uiDir?: string | undefined;
  prefix: string;
  policy: ConnectionPolicy;
  /** Extra exact-path HTTP routes (the hub's /metrics). */
  routes?: ReadonlyMap<string, RequestListener> | undefined;
  /** Answers `POST /session` (the role of a login) on the HTTP port. */
  identities?: IdentityStore;
}

export interface Listeners {
  /** Where plain MQTT listens (loopback unless allowed elsewhere). */
  plainHost: string;
  tcpPort: number;
  httpPort: number;
  tlsPort: number | null;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^(::ffff:)?127\.\d+\.\d+\.\d+$/.test(host);
}

export function plainHostFor(opts: Pick<ListenerOptions, 'host' | 'tls' | 'allowPlain'>): string {
  if (isLoopback(opts.host) || opts.allowPlain) return opts.host;
  if (opts.tls !== undefined) return '127.0.0.1';
  throw new ConfigError('broker', [
    `plain MQTT and HTTP on ${opts.host} would carry passwords in clear: configure a TLS certificate and key ` +
      `(hub.yaml broker.tls, or --tls-cert/--tls-key), listen on 127.0.0.1, or allow it explicitly (broker.allowPlain: true, or --allow-plain)`,
  ]);
}

export async function startListeners(aedes: Aedes, opts: ListenerOptions): Promise<Listeners> {
  const plainHost = plainHostFor(opts);
  const opened: Listening[] = [];
  const closeAll = () => Promise.all(opened.map((l) => l.close())).then(() => undefined);
  try {
    const tcp = await startTcpTransport(aedes, { host: plainHost, port: opts.tcpPort, policy: opts.policy });
    opened.push(tcp);
    const tls = opts.tls === undefined ? null : await startTcpTransport(aedes, { host: opts.host, port: opts.tlsPort, tls: opts.tls, policy: opts.policy });
    if (tls !== null) opened.push(tls);
    // The dashboard and WebSocket: HTTPS on the public address with TLS, else where plain may go.
    const http = await startHttpTransport(aedes, {
      host: opts.tls === undefined ? plainHost : opts.host,
      port: opts.httpPort,
      tls: opts.tls,
      uiDir: opts.uiDir,
      prefix: opts.prefix,
      log: opts.policy.log,
      policy: opts.policy,
      routes: opts.routes,
      ...(opts.identities === undefined ? {} : { identities: opts.identities }),
    });
    opened.push(http);
    return { plainHost, tcpPort: tcp.port, httpPort: http.port, tlsPort: tls?.port ?? null, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
