/**
 * The projector process: SQLite, the MQTT consumer, the gap tracker, the alerting loop and the
 * query answerer, wired together.
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
import type { Db } from './projections/projection.js';
import { answerQuery } from './queries/answer.js';
import { DEAD_LETTERS_MAX_AGE_MS, recordDeadLetter } from './projections/dead-letters.js';

export interface ProjectorOptions {
  dbPath: string;
  broker: { url: string; username: string; password: string; prefix?: string };
  /** Fixed so the broker keeps one persistent session for the projector. */
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
  readonly client: MqttClient;
  /** Resolves when the projector is connected and subscribed. */
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
  const publish = (topic: string, value: unknown, retain: boolean) => {
    client?.publish(topic, JSON.stringify(value), { qos: 1, retain }, (err) => {
      if (err) log.warn('publish failed', { topic, error: err.message });
    });
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

  const consumer = startConsumer({
    ...opts.broker,
    clientId: opts.clientId ?? 'sitrep-projector',
    topics: t,
    db,
    log,
    now,
    handleBatch(messages) {
      const folded: Received[] = [];
      const isEvents: boolean[] = [];
      const queries: { m: Received; name: string }[] = [];
      for (const m of messages) {
        const parsed = t.parse(m.topic);
        if (parsed.ok && parsed.topic.kind === 'query') queries.push({ m, name: parsed.topic.name });
        else {
          // Parsed once: the ingest takes the result instead of parsing the topic again.
          folded.push({ ...m, parsed });
          isEvents.push(parsed.ok && parsed.topic.kind === 'events');
        }
      }
      ingest.batch(folded).forEach((outcome, i) => {
        if (outcome.kind === 'folded' && isEvents[i]) touched.add(outcome.node);
      });
      // Answered after the batch is folded: a query sees every message that arrived before it.
      for (const { m, name } of queries) {
        const outcome = answerQuery(db, t, name, m.payload, now());
        if (outcome.kind === 'replied') publish(outcome.replyTo, outcome.reply, false);
        else {
          recordDeadLetter(db, m.topic, `query not answerable: ${outcome.reason}`, m.payload, m.receivedAt);
          log.warn('query not answerable', { topic: m.topic, reason: outcome.reason });
        }
      }
    },
    afterCommit() {
      for (const node of touched) gaps.observe(node);
      touched.clear();
    },
  });
  client = consumer.client;

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
    ready: consumer.ready,
    gaps,
    alerting,
    async stop() {
      clearInterval(gapTimer);
      try {
        alerting.stop();
        await retention.stop();
        await notifier?.stop();
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
