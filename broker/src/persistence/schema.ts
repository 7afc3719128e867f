/**
 * The broker's SQLite file: one table per kind of session state aedes persists.
 *
 * WAL with `synchronous = NORMAL`: every statement commits to the WAL before aedes is told it is
 * stored, so a killed process (kill -9, OOM) loses nothing; only a power cut can lose the last
 * commits, which is the trade-off Mosquitto's autosave and every broker persistence make.
 */
import Database from 'better-sqlite3';

export type Db = Database.Database;

const DDL = `
CREATE TABLE IF NOT EXISTS retained (
  topic TEXT PRIMARY KEY,
  meta TEXT NOT NULL,
  payload BLOB NOT NULL,
  payload_kind INTEGER NOT NULL
) WITHOUT ROWID;

-- id keeps insertion order, which subscriptionsByClient and getClientList report.
CREATE TABLE IF NOT EXISTS subscriptions (
  id INTEGER PRIMARY KEY,
  client_id TEXT NOT NULL,
  topic TEXT NOT NULL,
  qos INTEGER NOT NULL,
  rh INTEGER,
  rap INTEGER,
  nl INTEGER,
  sub_id INTEGER,
  UNIQUE (client_id, topic)
);

-- One row per queued delivery to a persistent session; seq is the queue order.
CREATE TABLE IF NOT EXISTS outgoing (
  client_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  broker_id TEXT,
  broker_counter INTEGER,
  message_id INTEGER,
  meta TEXT NOT NULL,
  payload BLOB NOT NULL,
  payload_kind INTEGER NOT NULL,
  PRIMARY KEY (client_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS outgoing_by_counter ON outgoing (client_id, broker_counter);
CREATE INDEX IF NOT EXISTS outgoing_by_message_id ON outgoing (client_id, message_id);

-- QoS 2 publishes received and not yet released [MQTT-4.3.3].
CREATE TABLE IF NOT EXISTS incoming (
  client_id TEXT NOT NULL,
  message_id INTEGER NOT NULL,
  meta TEXT NOT NULL,
  payload BLOB NOT NULL,
  payload_kind INTEGER NOT NULL,
  PRIMARY KEY (client_id, message_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS wills (
  client_id TEXT PRIMARY KEY,
  broker_id TEXT,
  meta TEXT NOT NULL,
  payload BLOB NOT NULL,
  payload_kind INTEGER NOT NULL
) WITHOUT ROWID;
`;

export function openBrokerDb(path: string): Db {
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    db.exec(DDL);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
