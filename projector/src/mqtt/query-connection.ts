/**
 * The projector's second MQTT connection, for queries only (`hub/query/+`), beside the consumer's
 * persistent session. A query on the consumer's session waited in that session's queue behind
 * every state update and event forwarded to the projector (aedes keeps that queue in its
 * persistence, SQLite on the hub): a few milliseconds in steady state, but as long as the whole
 * backlog after a restart or a fleet's reconnect burst (a 100,000-message backlog drained in
 * 5.5-28.5 s in NOTES-mqtt.md's measurements), while the dashboard gives up on the fleet snapshot
 * after 2.5 s. Here nothing queues in front of a query.
 *
 * - Clean session: a query is a request with a waiting asker (the ui gives up after 2.5 s for the
 *   fleet snapshot and 15 s for others, and asks again on its next connect; the cli after 15 s),
 *   so a query asked while this connection is down is not worth keeping for later. For a clean
 *   client aedes 1.2 stores no subscription and queues nothing (lib/handlers/subscribe.js
 *   storeSubscriptions, lib/client.js deliverQoS), nor does Mosquitto.
 * - Subscribed at QoS 0: on a live connection TCP already delivers in order, and a clean session
 *   loses whatever was in flight when the connection drops at QoS 1 as well. At QoS 1 aedes would
 *   still track each query in flight and, on its PUBACK, call the persistence's
 *   outgoingClearMessageId (a write in the hub's SQLite). Askers still publish at QoS 1, so they
 *   know the broker took the request.
 * - Replies go out on this connection too: a consumer that is reconnecting or draining a backlog
 *   does not hold them up.
 * - No will: the consumer's connection carries the projector's retained status.
 *
 * Queries are answered in the order they arrive here, from what is committed at that moment. Across
 * connections that is not "after every message that reached the broker before the query": see
 * projector.ts for why no reader needs that.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { baseConnectOptions } from './connect-options.js';
import type { Logger, Topics } from '@sitrep/schemas';

export interface QueryConnectionOptions {
  url: string;
  username: string;
  password: string;
  /** Its own, not the consumer's: two connections with one client id would take each other over. */
  clientId: string;
  topics: Topics;
  log: Logger;
  /** Answer one message of the query subscription (the caller parses its topic and refuses anything else). */
  answer(topic: string, payload: Uint8Array, receivedAt: number): void;
  now?: () => number;
}

export interface QueryConnection {
  readonly client: MqttClient;
  /**
   * Subscribe to the query filter; resolves once granted. Called after the consumer is ready, so a
   * session the consumer kept from an older version has dropped the query filter first and no
   * query reaches both connections. mqtt.js subscribes again by itself after a reconnect.
   */
  listen(): Promise<void>;
  stop(): Promise<void>;
}

/** The query connection's client id, derived from the projector's fixed one. */
export const queryClientId = (clientId: string): string => `${clientId}-queries`;

/** QoS of the query subscription (see the module comment). */
export const QUERY_SUBSCRIBE_QOS = 0;

export function startQueryConnection(opts: QueryConnectionOptions): QueryConnection {
  const { topics: t, log } = opts;
  const now = opts.now ?? Date.now;
  const client = mqtt.connect(opts.url, { ...baseConnectOptions(opts), clean: true });
  let stopping = false;
  client.on('message', (topic, payload) => opts.answer(topic, payload, now()));
  client.on('connect', () => log.info('query connection up', { url: opts.url }));
  client.on('close', () => {
    if (!stopping) log.warn('query connection down');
  });
  client.on('error', (err) => log.warn('query connection error', { error: err.message }));

  // A broker that refuses this client (a CONNACK with a return code: its client id or identity
  // not allowed) fails `listen`, and with it the projector's `ready`; network errors are retried.
  const connected = new Promise<void>((resolve, reject) => {
    const refused = (err: Error & { code?: unknown }) => {
      if (typeof err.code !== 'number') return;
      client.off('connect', up);
      reject(new Error(`the broker refused the query connection (${opts.clientId}): ${err.message}`));
    };
    const up = () => {
      client.off('error', refused);
      resolve();
    };
    client.once('connect', up);
    client.on('error', refused);
  });
  connected.catch(() => undefined); // judged by listen()

  return {
    client,
    async listen() {
      await connected;
      // Rejects when the broker refuses it (mqtt.js turns a SUBACK failure into an error).
      await client.subscribeAsync(t.filter.query(), { qos: QUERY_SUBSCRIBE_QOS });
      log.info('answering queries', { filter: t.filter.query() });
    },
    async stop() {
      stopping = true;
      await client.endAsync();
    },
  };
}
