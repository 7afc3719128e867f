/**
 * The projector's MQTT side: a fixed client id with a persistent session (clean: false), so
 * QoS 1 messages that arrive while it is away are queued by the broker; non-overlapping QoS 1
 * subscriptions, so nothing is delivered twice; and a PUBACK sent only after the SQLite
 * transaction committed (NOTES-mqtt.md: override handleMessage), so a crash loses nothing.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger, ProjectorStatus, Topics } from '@sitrep/schemas';
import type { Ingest } from '../ingest/ingest.js';

export interface ConsumerOptions {
  url: string;
  username: string;
  password: string;
  clientId: string;
  topics: Topics;
  ingest: Ingest;
  log: Logger;
  now?: () => number;
}

export function consumerFilters(t: Topics): string[] {
  return [t.filter.status(), t.filter.birth(), t.filter.metrics(), t.filter.events()];
}

export interface Consumer {
  client: MqttClient;
  /** Resolves once the subscriptions are in place (granted now, or kept by the broker's session). */
  ready: Promise<void>;
}

export function startConsumer(opts: ConsumerOptions): Consumer {
  const { topics: t, log } = opts;
  const now = opts.now ?? Date.now;
  const status = (state: ProjectorStatus['state']) => JSON.stringify({ v: 1, state, ts: now() } satisfies ProjectorStatus);
  const client = mqtt.connect(opts.url, {
    protocolVersion: 4,
    clientId: opts.clientId,
    clean: false,
    username: opts.username,
    password: opts.password,
    reconnectPeriod: 1000 + Math.round(Math.random() * 1000),
    connectTimeout: 10_000,
    will: { topic: t.projectorStatus(), payload: Buffer.from(status('offline')), qos: 1, retain: true },
  });

  client.handleMessage = (packet, done) => {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    try {
      opts.ingest(packet.topic, payload);
    } catch (err) {
      // SQLite itself failed (disk full, I/O error): do not acknowledge. Dropping the connection
      // makes the broker redeliver the message to the persistent session once we are back.
      log.error('could not commit a message; reconnecting so it is redelivered', { topic: packet.topic, error: (err as Error).message });
      client.stream.destroy();
      return;
    }
    done();
  };

  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  client.on('connect', (connack) => {
    log.info('connected', { url: opts.url, sessionPresent: connack.sessionPresent });
    client.publish(t.projectorStatus(), status('online'), { qos: 1, retain: true });
    // With clean: false mqtt.js resubscribes only when the broker lost the session (NOTES-mqtt.md).
    if (connack.sessionPresent) {
      markReady();
      return;
    }
    client.subscribe(consumerFilters(t), { qos: 1 }, (err) => {
      if (err) log.error('subscribe failed', { error: err.message });
      else markReady();
    });
  });
  client.on('close', () => log.warn('disconnected'));
  client.on('error', (err) => log.warn('connection error', { error: err.message }));
  return { client, ready };
}

export async function stopConsumer(client: MqttClient, t: Topics, now: () => number = Date.now): Promise<void> {
  if (client.connected) {
    await client
      .publishAsync(t.projectorStatus(), JSON.stringify({ v: 1, state: 'offline', ts: now() }), { qos: 1, retain: true })
      .catch(() => undefined);
  }
  await client.endAsync();
}
