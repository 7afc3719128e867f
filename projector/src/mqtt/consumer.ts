/**
 * The projector's consuming connection: a fixed client id with a persistent session (clean:
 * false), so QoS 1 messages that arrive while it is away are queued by the broker; non-overlapping
 * QoS 1 subscriptions, so nothing is delivered twice; and a PUBACK sent only after the SQLite
 * transaction holding the message committed (NOTES-mqtt.md), so a crash loses nothing. Queries
 * come in on a second connection (query-connection.ts), not through this session's queue.
 *
 * Messages are folded in batches: every message that arrives before the event loop turns joins
 * one batch, folded at once in one transaction (an invalid message is a dead letter, not an error;
 * an SQLite error rolls the whole batch back and the broker redelivers it), and their PUBACKs are
 * held back until that transaction commits. mqtt.js writes a PUBACK as soon as handleMessage
 * calls back; holding them is done by intercepting the client's packet writer.
 */
import mqtt, { type IPublishPacket, type MqttClient } from 'mqtt';
import { baseConnectOptions } from './connect-options.js';
import type { Logger, ProjectorStatus, Topics } from '@sitrep/schemas';
import type { Received } from '../ingest/ingest.js';
import type { Db } from '../projections/projection.js';

export interface ConsumerOptions {
  url: string;
  username: string;
  password: string;
  clientId: string;
  topics: Topics;
  db: Db;
  /** Fold a batch of messages, in arrival order (inside its transaction); throwing means "SQLite failed". */
  handleBatch(messages: readonly Received[]): void;
  /** After a batch committed. */
  afterCommit?(): void;
  log: Logger;
  now?: () => number;
  /** Upper bound of messages per transaction. */
  maxBatch?: number;
}

/** What the persistent session consumes. Not queries: they have a connection of their own (query-connection.ts). */
export function consumerFilters(t: Topics): string[] {
  return [t.filter.status(), t.filter.birth(), t.filter.metrics(), t.filter.services(), t.filter.checks(), t.filter.events(), t.filter.logs()];
}

export interface Consumer {
  client: MqttClient;
  /** Resolves once the subscriptions are in place (granted now, or kept by the broker's session). */
  ready: Promise<void>;
}

type SendPacket = (packet: { cmd: string }, cb?: (err?: Error) => void, cbStorePut?: () => void, noStore?: boolean) => void;

export function startConsumer(opts: ConsumerOptions): Consumer {
  const { topics: t, log, db } = opts;
  const now = opts.now ?? Date.now;
  const maxBatch = opts.maxBatch ?? 5000;
  const status = (state: ProjectorStatus['state']) => JSON.stringify({ v: 1, state, ts: now() } satisfies ProjectorStatus);
  const client = mqtt.connect(opts.url, {
    ...baseConnectOptions(opts),
    clean: false,
    will: { topic: t.projectorStatus(), payload: Buffer.from(status('offline')), qos: 1, retain: true },
  });

  // --- the batch: messages waiting to be folded, and their PUBACKs waiting for the commit
  let batch: Received[] = [];
  let held: { cmd: string }[] = [];
  let holding = false;
  const inner = client as unknown as { _sendPacket: SendPacket };
  const send = inner._sendPacket.bind(client) as SendPacket;
  inner._sendPacket = (packet, cb, cbStorePut, noStore) => {
    if (packet.cmd === 'puback' && holding) {
      held.push(packet);
      cb?.(); // let mqtt.js read the next packet now; the PUBACK itself waits for the commit
      return;
    }
    send(packet, cb, cbStorePut, noStore);
  };

  /** Fold the batch in one transaction, then release its PUBACKs. */
  function commit(): void {
    if (batch.length === 0) return;
    const messages = batch;
    batch = [];
    try {
      db.exec('BEGIN IMMEDIATE');
      opts.handleBatch(messages);
      db.exec('COMMIT');
    } catch (err) {
      abort(`${messages.length} messages: ${(err as Error).message}`);
      return;
    }
    const acks = held;
    held = [];
    holding = false;
    for (const p of acks) send(p);
    opts.afterCommit?.();
  }

  /** SQLite itself failed: roll back, send no PUBACK, and drop the connection so the broker redelivers. */
  function abort(reason: string): void {
    log.error('could not commit; reconnecting so the broker redelivers', { reason });
    if (db.inTransaction) db.exec('ROLLBACK');
    batch = [];
    held = [];
    holding = false;
    client.stream.destroy();
  }

  client.handleMessage = (packet: IPublishPacket, done) => {
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (batch.length === 0) {
      holding = true;
      setImmediate(commit);
    }
    batch.push({ topic: packet.topic, payload, receivedAt: now() });
    done();
    if (batch.length >= maxBatch) commit();
  };

  let markReady: () => void = () => undefined;
  let failReady: (err: Error) => void = () => undefined;
  let settled = false;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = () => ((settled = true), resolve());
    failReady = (err) => ((settled = true), reject(err));
  });

  client.on('connect', (connack) => {
    log.info('connected', { url: opts.url, sessionPresent: connack.sessionPresent });
    client.publish(t.projectorStatus(), status('online'), { qos: 1, retain: true });
    // With clean: false mqtt.js resubscribes only when the broker lost the session (NOTES-mqtt.md).
    if (connack.sessionPresent) {
      // A session kept from a version that took queries on this connection still subscribes to
      // them, and a query would then reach both connections. Dropping the filter is idempotent, so
      // it is sent on every kept session rather than remembered. Queries already queued for the
      // session still arrive here and are answered (handleBatch); new ones go to the query
      // connection, which subscribes only once this is done (RunningProjector.ready).
      client.unsubscribe(t.filter.query(), (err) => {
        if (err) log.warn('could not drop the query filter from the kept session', { error: err.message });
        log.info('consuming', { session: 'kept by the broker' });
        markReady();
      });
      return;
    }
    client.subscribe(consumerFilters(t), { qos: 1 }, (err) => {
      if (err) {
        log.error('subscribe failed', { error: err.message });
        if (!settled) failReady(new Error(`the broker refused the projector's subscriptions: ${err.message}`));
      } else {
        // From here on the broker queues everything for this session: what a starter waits for.
        log.info('consuming', { session: 'new' });
        markReady();
      }
    });
  });
  client.on('close', () => {
    // Whatever arrived but was not yet acknowledged is folded and committed now; the broker will
    // redeliver the messages whose PUBACK it did not see, and the log ignores them as duplicates.
    commit();
    log.warn('disconnected');
  });
  client.on('error', (err: Error & { code?: unknown }) => {
    log.warn('connection error', { error: err.message });
    // A refused CONNACK (a return code: bad credentials, not authorised) is not retried by mqtt.js:
    // before the first start that is a projector that cannot run, said through `ready`.
    if (typeof err.code === 'number' && !settled) failReady(new Error(`the broker refused the projector (${opts.clientId}): ${err.message}`));
  });
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
