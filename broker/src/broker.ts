/**
 * The embedded broker: aedes with sitrep's authentication, ACL and limit hooks, on TCP, TLS and
 * MQTT-over-WebSocket (sharing its HTTP port with the dashboard).
 */
import { Aedes } from 'aedes';
import { createHaTopics, createTopics, type Logger } from '@sitrep/schemas';
import { createAuth } from './auth/hooks.js';
import { flattenMqDrain } from './delivery/flat-drain.js';
import type { IdentityStore } from './auth/identities.js';
import { CommandRate } from './limits/commands.js';
import { resolveLimits, type BrokerLimits } from './limits/config.js';
import { ConnectionGate } from './limits/connections.js';
import { openPersistence, type BrokerPersistence, type PersistenceOptions } from './persistence/index.js';
import type { HttpTransportOptions } from './transports/http.js';
import { startListeners } from './transports/listeners.js';
import type { TlsFiles } from './transports/tcp.js';

export interface BrokerOptions {
  identities: IdentityStore;
  log: Logger;
  prefix?: string;
  /** Address to bind; loopback by default so nothing is exposed until asked for. */
  host?: string;
  /** Plain MQTT over TCP (on loopback when `host` is not, unless `allowPlain`); 0 picks a free port. Default 1883. */
  tcpPort?: number;
  /** Dashboard + MQTT over WebSocket at /mqtt (HTTPS/WSS with `tls`); 0 picks a free port. Default 8080. */
  httpPort?: number;
  /** Directory of the built ui (ui/dist). */
  uiDir?: string | undefined;
  /** Certificate and key (PEM): MQTT over TLS on `tlsPort`, HTTPS and WSS on `httpPort`. */
  tls?: TlsFiles | undefined;
  /** MQTT over TLS; 0 picks a free port. Default 8883. */
  tlsPort?: number;
  /** Plain MQTT and HTTP on a non-loopback `host`; refused unless set. */
  allowPlain?: boolean;
  limits?: Partial<BrokerLimits> | undefined;
  /** Home Assistant's discovery prefix, for the ACL (default homeassistant). */
  homeassistantPrefix?: string;
  /** Extra exact-path HTTP routes on the dashboard port (the hub's /metrics). */
  httpRoutes?: HttpTransportOptions['routes'];
  /** Where sessions, queued QoS 1/2 messages and retained messages live. Default: memory. */
  persistence?: PersistenceOptions;
  /** How long a client may leave its socket full before it is disconnected, ms. Default 15,000. */
  drainTimeoutMs?: number;
}

export interface RunningBroker {
  readonly aedes: Aedes;
  readonly host: string;
  /** Where plain MQTT listens: `host`, or loopback when `host` is public and TLS is on. */
  readonly plainHost: string;
  readonly tcpPort: number;
  readonly httpPort: number;
  /** MQTT over TLS, when configured. */
  readonly tlsPort: number | null;
  readonly tls: boolean;
  readonly limits: BrokerLimits;
  /** Open client connections, all listeners together. */
  connections(): number;
  readonly persistence: BrokerPersistence;
  close(): Promise<void>;
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const t = createTopics(opts.prefix);
  const log = opts.log;
  const limits = resolveLimits(opts.limits);
  const auth = createAuth({ identities: opts.identities, topics: t, ha: createHaTopics(opts.homeassistantPrefix), log, commands: new CommandRate(limits) });

  const persistence = openPersistence(opts.persistence ?? { kind: 'memory' }, log.child('persistence'));
  const aedes = await Aedes.createBroker({
    persistence: persistence.aedes,
    // Without a drain timeout one frozen subscriber stalls delivery to everybody (NOTES-mqtt.md).
    drainTimeout: opts.drainTimeoutMs ?? 15_000,
    ...auth.hooks,
  });
  // A backlog on aedes' bus must not overflow the stack when it drains (see flat-drain.ts).
  if (!flattenMqDrain((aedes as unknown as { mq: unknown }).mq)) log.warn('aedes message bus internals changed: its backlog drains by recursion again');
  const closeAedes = () => new Promise<void>((resolve) => aedes.close(() => resolve()));
  aedes.on('clientError', (client, err) => log.warn('client error', { client: client.id, error: err.message }));
  aedes.on('connectionError', (client, err) => log.warn('connection error', { client: client?.id, error: err.message }));

  const host = opts.host ?? '127.0.0.1';
  const gate = new ConnectionGate(limits, log);
  let listeners;
  try {
    listeners = await startListeners(aedes, {
      host,
      tcpPort: opts.tcpPort ?? 1883,
      httpPort: opts.httpPort ?? 8080,
      tls: opts.tls,
      tlsPort: opts.tlsPort ?? 8883,
      allowPlain: opts.allowPlain === true,
      uiDir: opts.uiDir,
      prefix: t.prefix,
      routes: opts.httpRoutes,
      identities: opts.identities,
      policy: {
        gate,
        maxPacketBytes: limits.maxPacketBytes,
        log,
        username: (client) => auth.identityOf(client)?.username,
      },
    });
  } catch (err) {
    await closeAedes();
    await persistence.close();
    throw err;
  }
  const running = listeners;
  return {
    aedes,
    host,
    plainHost: running.plainHost,
    tcpPort: running.tcpPort,
    httpPort: running.httpPort,
    tlsPort: running.tlsPort,
    tls: opts.tls !== undefined,
    limits,
    connections: () => gate.connections,
    persistence,
    async close() {
      await closeAedes();
      await running.close();
      // Last: aedes may still clear queued packets while its clients close.
      await persistence.close();
    },
  };
}
