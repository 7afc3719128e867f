/**
 * The projector process: SQLite, the MQTT consumer, the gap tracker, the alerting loop and the
 * query answerer, wired together.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { createTopics, type Logger } from '@sitrep/schemas';
import { DEFAULT_ALERT_POLICY, type AlertPolicy } from './alerts/evaluate.js';
import { startAlerting, type Alerting, type AlertSink } from './alerts/loop.js';
import { openDatabase, PROJECTIONS } from './db/open.js';
import { createFolder } from './fold/folder.js';
import { createGapTracker, type GapTracker } from './gaps/tracker.js';
import { createIngest } from './ingest/ingest.js';
import { startConsumer, stopConsumer } from './mqtt/consumer.js';
import type { Db } from './projections/projection.js';
import { answerQuery } from './queries/answer.js';
import { recordDeadLetter } from './projections/dead-letters.js';

export interface ProjectorOptions {
  dbPath: string;
  broker: { url: string; username: string; password: string; prefix?: string };
  /** Fixed so the broker keeps one persistent session for the projector. */
  clientId?: string;
  log: Logger;
  now?: () => number;
  alerts?: Partial<AlertPolicy>;
  /** How often alerts are evaluated and gaps looked at. */
  tickMs?: number;
  reorderWindowMs?: number;
  replayTimeoutMs?: number;
  notifier?: AlertSink;
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
  const db = openDatabase(opts.dbPath);
  const folder = createFolder(db, PROJECTIONS);
  const ingest = createIngest({ db, topics: t, log, folder, projections: PROJECTIONS, now });
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
    handle(topic, payload) {
      const parsed = t.parse(topic);
      if (parsed.ok && parsed.topic.kind === 'query') {
        const outcome = answerQuery(db, t, parsed.topic.name, payload, now());
        if (outcome.kind === 'replied') publish(outcome.replyTo, outcome.reply, false);
        else {
          recordDeadLetter(db, topic, `query not answerable: ${outcome.reason}`, payload, now());
          log.warn('query not answerable', { topic, reason: outcome.reason });
        }
        return;
      }
      const outcome = ingest(topic, payload);
      if (outcome.kind === 'folded' && parsed.ok && parsed.topic.kind === 'events') touched.add(outcome.node);
    },
    afterCommit() {
      for (const node of touched) gaps.observe(node);
      touched.clear();
    },
  });
  client = consumer.client;

  const policy: AlertPolicy = { ...DEFAULT_ALERT_POLICY, ...opts.alerts };
  const tickMs = opts.tickMs ?? 2000;
  const alerting = startAlerting({
    db,
    folder,
    policy,
    log: log.child('alerts'),
    now,
    every: tickMs,
    notifier: opts.notifier,
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
      alerting.stop();
      await stopConsumer(consumer.client, t, now);
      if (db.inTransaction) db.exec('COMMIT');
      db.close();
      log.info('stopped');
    },
  };
}

/** Where the hub keeps the projector's database inside its data directory. */
export function projectorDbPath(dataDir: string): string {
  return join(dataDir, 'sitrep.db');
}
