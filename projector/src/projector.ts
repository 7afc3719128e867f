/** The projector process: SQLite + the MQTT consumer. */
import { join } from 'node:path';
import { createTopics, type Logger } from '@sitrep/schemas';
import type { MqttClient } from 'mqtt';
import { openDatabase } from './db/open.js';
import { createIngest } from './ingest/ingest.js';
import { startConsumer, stopConsumer } from './mqtt/consumer.js';
import type { Db } from './projections/projection.js';

export interface ProjectorOptions {
  dbPath: string;
  broker: { url: string; username: string; password: string; prefix?: string };
  /** Fixed so the broker keeps one persistent session for the projector. */
  clientId?: string;
  log: Logger;
}

export interface RunningProjector {
  readonly db: Db;
  readonly client: MqttClient;
  /** Resolves when the projector is connected and subscribed. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export function startProjector(opts: ProjectorOptions): RunningProjector {
  const topics = createTopics(opts.broker.prefix);
  const db = openDatabase(opts.dbPath);
  const ingest = createIngest({ db, topics, log: opts.log });
  const { client, ready } = startConsumer({
    ...opts.broker,
    clientId: opts.clientId ?? 'sitrep-projector',
    topics,
    ingest,
    log: opts.log,
  });
  return {
    db,
    client,
    ready,
    async stop() {
      await stopConsumer(client, topics);
      db.close();
      opts.log.info('stopped');
    },
  };
}

/** Where the hub keeps the projector's database inside its data directory. */
export function projectorDbPath(dataDir: string): string {
  return join(dataDir, 'sitrep.db');
}
