/**
 * The projector process: SQLite, the MQTT consumer, the gap tracker, the alerting loop and the
 * query answerer, wired together. Two MQTT connections: the consumer's persistent session for
 * what is folded, and a clean one that answers queries (mqtt/query-connection.ts).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { createTopics, type Logger } from '@sitrep/schemas';
import type { HubConfig } from '@sitrep/schemas/config';
import { DEFAULT_ALERT_POLICY, type AlertPolicy } from './alerts/evaluate.js';
import { startAlerting, type Alerting } from './alerts/loop.js';
import { createNotifier } from './notify/notifier.js';
import { metricsRetentionRules } from './projections/metrics-history.js';
import { SAMPLES_RETENTION } from './projections/samples.js';
import { startRetention } from './retention/retention.js';
import { lockDatabase } from './db/lock.js';
import { startCheckpointer, type Checkpointer } from './db/checkpointer.js';
import { openDatabase, PROJECTIONS } from './db/open.js';
import { createFolder, type Folder } from './fold/folder.js';
import { createGapTracker, type GapTracker } from './gaps/tracker.js';
import { createIngest, type Ingest, type Received } from './ingest/ingest.js';
import { startConsumer, stopConsumer } from './mqtt/consumer.js';
import { queryClientId, startQueryConnection } from './mqtt/query-connection.js';
import type { Db } from './projections/projection.js';
import { answerQuery } from './queries/answer.js';
import { DEAD_LETTERS_MAX_AGE_MS, recordDeadLetter } from './projections/dead-letters.js';

export interface ProjectorOptions {
  dbPath: string;
  broker: { url: string; username: string; password: string; prefix?: string };
  /** Fixed so the broker keeps one persistent session for the projector; queries connect as `${clientId}-queries`. */
  clientId?: string;
  log: Logger;
  now?: () => number;
  /** The hub config: alert thresholds, expected-state overrides, notifications. */
  hub?: HubConfig;
  /** How often alerts are evaluated and gaps looked at. */
  tickMs?: number;
  reorderWindowMs?: number;
  replayTimeoutMs?: number;
  /** Retention runs this often (default 10 minutes). */
  retentionEveryMs?: number;
}

export interface RunningProjector {
  readonly db: Db;
  /** The consumer's connection (persistent session). */
  readonly client: MqttClient;
  /** The connection that answers queries (clean session). */
  readonly queryClient: MqttClient;
  /** Resolves when both connections are up and subscribed. */
  readonly ready: Promise<void>;
  readonly gaps: GapTracker;
  readonly alerting: Alerting;
  stop(): Promise<void>;
}

export function startProjector(opts: ProjectorOptions): RunningProjector {
  const { log } = opts;
  const now = opts.now ?? Date.now;
  const t = createTopics(opts.broker.prefix);
  const unlock = lockDatabase(opts.dbPath);
  let db: ReturnType<typeof openDatabase> | undefined;
  let checkpoints: Checkpointer | undefined;
  /** The file, its checkpoint thread and its lock, released in that order (the thread's connection closes first). */
  const release = async (): Promise<void> => {
    try {
      await checkpoints?.stop();
    } finally {
      if (db?.open === true) db.close();
      unlock(); // even when stopping failed half-way: this process no longer writes
    }
  };
  let folder: Folder;
  let ingest: Ingest;
  try {
    db = openDatabase(opts.dbPath);
    // WAL checkpoints on their own thread, not inside the commits of folded batches.
    checkpoints = startCheckpointer(db, { log: log.child('checkpoints') });
    folder = createFolder(db, PROJECTIONS);
    ingest = createIngest({ db, topics: t, log, folder, projections: PROJECTIONS, now });
  } catch (err) {
    // A projector that never started leaves nothing open or locked (a hub may start one again).
    void release();
    throw err;
  }
  const store = db;
  let client: MqttClient | undefined;
  const publishOn = (via: MqttClient | undefined, topic: string, value: unknown, retain: boolean) => {
    via?.publish(topic, JSON.stringify(value), { qos: 1, retain }, (err) => {
      if (err) log.warn('publish failed', { topic, error: err.message });
    });
  };
  const publish = (topic: string, value: unknown, retain: boolean) => publishOn(client, topic, value, retain);

  /**
   * Answer one query, replying on the connection it came in on. Queries come on the query
   * connection and are answered from what is committed when they arrive, which may not yet hold
   * a message that reached the broker just before the query but still waits in the consumer's
   * queue (before the query connection, a query queued behind them and saw them). No reader relies
   * on that: the dashboard's fleet snapshot only fills what the retained topics have not said yet,
   * and the page subscribes to those right after it (ui/src/model/fleet-snapshot.ts: the retained
   * state wins), so a snapshot a few updates old paints the same page a moment earlier. History
   * views re-ask FOLD_DELAY_MS (700 ms) after a live transition (ui useRefreshOnTransition), which
   * never counted on the ordering: while the projector is more than that behind (a reconnect
   * burst), such an answer can lack the newest transitions until the next refresh, where on the
   * shared session it came as late as the backlog but complete.
   */
  const answerOn = (via: MqttClient | undefined, m: Received, name: string) => {
    const outcome = answerQuery(store, t, name, m.payload, now());
    if (outcome.kind === 'replied') publishOn(via, outcome.replyTo, outcome.reply, false);
    else {
      recordDeadLetter(store, m.topic, `query not answerable: ${outcome.reason}`, m.payload, m.receivedAt);
      log.warn('query not answerable', { topic: m.topic, reason: outcome.reason });
    }
  };

  const gaps = createGapTracker({
    db,
    folder,
    log: log.child('gaps'),
    now,
    reorderWindowMs: opts.reorderWindowMs ?? 2000,
    replayTimeoutMs: opts.replayTimeoutMs ?? 30_000,
    command: (node, action, args) =>
      publish(t.cmd(node), { id: `projector-${action}-${randomBytes(4).toString('hex')}`, action, target: '', ...(args ? { args } : {}), by: 'projector' }, false),
  });
  const touched = new Set<string>();

  const clientId = opts.clientId ?? 'sitrep-projector';
  const consumer = startConsumer({
    ...opts.broker,
    clientId,
    topics: t,
    db,
    log,
    now,
    handleBatch(messages) {
      const folded: Received[] = [];
      const isEvents: boolean[] = [];
      const asked: { m: Received; name: string }[] = [];
      for (const m of messages) {
        const parsed = t.parse(m.topic);
        if (parsed.ok && parsed.topic.kind === 'query') asked.push({ m, name: parsed.topic.name });
        else {
          // Parsed once: the ingest takes the result instead of parsing the topic again. Set on
          // the consumer's own object (made for this batch) rather than copied per message.
          m.parsed = parsed;
          folded.push(m);
          isEvents.push(parsed.ok && parsed.topic.kind === 'events');
        }
      }
      ingest.batch(folded).forEach((outcome, i) => {
        if (outcome.kind === 'folded' && isEvents[i]) touched.add(outcome.node);
      });
      // Only queries queued for this session before it dropped the query filter (an upgraded
      // hub) come here; answered after the batch is folded, on this connection.
      for (const { m, name } of asked) answerOn(client, m, name);
    },
    afterCommit() {
      for (const node of touched) gaps.observe(node);
      touched.clear();
    },
  });
  client = consumer.client;
  const queries = startQueryConnection({
    ...opts.broker,
    clientId: queryClientId(clientId),
    topics: t,
    log: log.child('queries'),
    now,
    answer(topic, payload, receivedAt) {
      const m: Received = { topic, payload, receivedAt };
      const parsed = t.parse(topic);
      // The subscription is the query filter, so anything else is a broker's mistake: recorded, not answered.
      if (parsed.ok && parsed.topic.kind === 'query') answerOn(queries.client, m, parsed.topic.name);
      else {
        const reason = parsed.ok ? `a ${parsed.topic.kind} topic on the query connection` : parsed.reason;
        recordDeadLetter(store, topic, reason, payload, receivedAt);
        log.warn('not a query', { topic, reason });
      }
    },
  });
  // The query connection subscribes once the consumer is ready: a kept session has dropped its
  // query filter by then, so no query reaches both.
  const ready = consumer.ready.then(() => queries.listen());
  ready.catch((err: unknown) => log.error('cannot start', { error: (err as Error).message }));

  const policy = alertPolicy(opts.hub);
  const notify = opts.hub?.notifications;
  const notifier = notify !== undefined && notify.channels.length > 0 ? createNotifier({ db, config: notify, log: log.child('notify'), now }) : undefined;
  notifier?.start();
  const retention = startRetention({
    db,
    log: log.child('retention'),
    now,
    every: opts.retentionEveryMs ?? 10 * 60_000,
    policy: [
      ...metricsRetentionRules(),
      SAMPLES_RETENTION,
      { table: 'dead_letters', tsColumn: 'received_at', maxAgeMs: DEAD_LETTERS_MAX_AGE_MS },
    ],
  });
  const tickMs = opts.tickMs ?? 2000;
  const alerting = startAlerting({
    db,
    folder,
    policy,
    log: log.child('alerts'),
    now,
    every: tickMs,
    notifier,
    publish: (alerts, summary) => {
      publish(t.alerts(), alerts, true);
      publish(t.summary(), summary, true);
    },
  });
  const gapTimer = setInterval(() => {
    try {
      gaps.tick();
    } catch (err) {
      log.error('gap check failed', { error: (err as Error).message });
    }
  }, Math.min(tickMs, 1000));
  gapTimer.unref();

  return {
    db,
    client: consumer.client,
    queryClient: queries.client,
    ready,
    gaps,
    alerting,
    async stop() {
      clearInterval(gapTimer);
      try {
        alerting.stop();
        await retention.stop();
        await notifier?.stop();
        await queries.stop();
        await stopConsumer(consumer.client, t, now);
        if (store.inTransaction) store.exec('COMMIT');
      } finally {
        await release();
      }
      log.info('stopped');
    },
  };
}

/** The alert policy a hub config describes (defaults where it is silent). */
export function alertPolicy(hub: HubConfig | undefined): AlertPolicy {
  if (hub === undefined) return DEFAULT_ALERT_POLICY;
  const a = hub.alerts;
  return {
    serviceDownAfterMs: a.serviceDownAfter,
    serviceDownAfter: a.services,
    nodeLostAfterMs: a.nodeLostAfter,
    staleIntervals: a.staleIntervals,
    checkWarning: a.checkWarning,
    expect: Object.fromEntries(hub.expect.map((e) => [e.node === undefined ? e.service : `${e.node}/${e.service}`, e.expect])),
  };
}

/** Where the hub keeps the projector's database inside its data directory. */
export function projectorDbPath(dataDir: string): string {
  return join(dataDir, 'sitrep.db');
}
