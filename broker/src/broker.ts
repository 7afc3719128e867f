/**
 * The embedded broker: aedes with sitrep's authentication and ACL hooks, on TCP and on
 * MQTT-over-WebSocket (sharing its HTTP port with the dashboard).
 */
import { Aedes, type AuthenticateError, type Client } from 'aedes';
import { createTopics, type Logger } from '@sitrep/schemas';
import type { Identity } from '@sitrep/schemas/config';
import { canPublish, canSubscribe } from './auth/acl.js';
import type { IdentityStore } from './auth/identities.js';
import { startHttpTransport } from './transports/http.js';
import { startTcpTransport } from './transports/tcp.js';

export interface BrokerOptions {
  identities: IdentityStore;
  log: Logger;
  prefix?: string;
  /** Address to bind; loopback by default so nothing is exposed until asked for. */
  host?: string;
  /** MQTT over TCP; 0 picks a free port. Default 1883. */
  tcpPort?: number;
  /** Dashboard + MQTT over WebSocket at /mqtt; 0 picks a free port. Default 8080. */
  httpPort?: number;
  /** Directory of the built ui (ui/dist). */
  uiDir?: string | undefined;
}

export interface RunningBroker {
  readonly aedes: Aedes;
  readonly host: string;
  readonly tcpPort: number;
  readonly httpPort: number;
  close(): Promise<void>;
}

// MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2.3].
const BAD_USERNAME_OR_PASSWORD = 4;

function authError(message: string): AuthenticateError {
  return Object.assign(new Error(message), { returnCode: BAD_USERNAME_OR_PASSWORD }) as AuthenticateError;
}

export async function startBroker(opts: BrokerOptions): Promise<RunningBroker> {
  const t = createTopics(opts.prefix);
  const log = opts.log;
  const who = new WeakMap<Client, Identity>();

  const aedes = await Aedes.createBroker({
    // Without a drain timeout one frozen subscriber stalls delivery to everybody (NOTES-mqtt.md).
    drainTimeout: 15_000,
    authenticate(client, username, password, done) {
      if (username === undefined || password === undefined) {
        log.warn('connection refused: no credentials', { client: client.id });
        done(authError('credentials required'), false);
        return;
      }
      opts.identities.verify(username, password.toString('utf8')).then(
        (identity) => {
          if (identity === null) {
            log.warn('connection refused: bad username or password', { client: client.id, username });
            done(authError('bad username or password'), false);
            return;
          }
          who.set(client, identity);
          done(null, true);
        },
        (err: Error) => {
          log.error('authentication failed', { client: client.id, username, error: err.message });
          done(authError('authentication failed'), false);
        },
      );
    },
    authorizePublish(client, packet, done) {
      // A will restored from persistence after a broker restart has no client (NOTES-mqtt.md):
      // only a status topic can be a will, so that is all it may publish.
      const identity = client === null ? undefined : who.get(client);
      if (identity === undefined) {
        const parsed = t.parse(packet.topic);
        if (client === null && parsed.ok && parsed.topic.kind === 'status') return done(null);
        return done(new Error('publish without identity'));
      }
      const decision = canPublish(identity, packet.topic, t);
      if (decision.ok) return done(null);
      log.warn('publish denied', { username: identity.username, role: identity.role, topic: packet.topic, reason: decision.reason });
      done(new Error(`publish denied: ${decision.reason}`));
    },
    authorizeSubscribe(client, subscription, done) {
      const identity = who.get(client);
      const decision =
        identity === undefined ? { ok: false as const, reason: 'no identity' } : canSubscribe(identity, subscription.topic, t);
      if (decision.ok) return done(null, subscription);
      log.warn('subscribe denied', { username: identity?.username, topic: subscription.topic, reason: decision.reason });
      // null refuses this one subscription (SUBACK 0x80) and keeps the connection [MQTT-3.9.3-2].
      done(null, null);
    },
  });
  aedes.on('clientError', (client, err) => log.warn('client error', { client: client.id, error: err.message }));
  aedes.on('connectionError', (client, err) => log.warn('connection error', { client: client?.id, error: err.message }));

  const host = opts.host ?? '127.0.0.1';
  const tcp = await startTcpTransport(aedes, host, opts.tcpPort ?? 1883);
  let http;
  try {
    http = await startHttpTransport(aedes, { host, port: opts.httpPort ?? 8080, uiDir: opts.uiDir, prefix: t.prefix, log, identities: opts.identities });
  } catch (err) {
    await tcp.close();
    throw err;
  }

  return {
    aedes,
    host,
    tcpPort: tcp.port,
    httpPort: http.port,
    async close() {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await Promise.all([tcp.close(), http.close()]);
    },
  };
}
