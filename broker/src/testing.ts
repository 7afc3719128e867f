/**
 * Test kit: a real broker on loopback port 0 with a throw-away identity store, and MQTT clients
 * that are all torn down by one `close()`. Used by every package's integration tests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { memoryLogger, topicMatches, type Logger } from '@sitrep/schemas';
import type { Role } from '@sitrep/schemas/config';
import { IdentityStore } from './auth/identities.js';
import { startBroker, type BrokerOptions, type RunningBroker } from './broker.js';
import type { PersistenceOptions } from './persistence/index.js';

export interface Credentials {
  username: string;
  password: string;
}

export interface TestBroker {
  broker: RunningBroker;
  identities: IdentityStore;
  log: Logger & { lines: string[] };
  dir: string;
  tcpUrl: string;
  wsUrl: string;
  /** Create an identity with a random password (`commands`: an integration that may send commands). */
  identity(role: Role, username: string, node?: string, opts?: { commands?: boolean }): Promise<Credentials>;
  /** Connect a client and wait for CONNACK; rejects with the broker's refusal. */
  connect(creds: Credentials, opts?: IClientOptions & { ws?: boolean }): Promise<MqttClient>;
  close(): Promise<void>;
}

/** Options are those of `startBroker` (limits, TLS...); ports default to 0, persistence to memory. */
export interface TestBrokerOptions extends Omit<BrokerOptions, 'identities' | 'log' | 'persistence'> {
  /** `sqlite` puts broker.db in the test's directory; default memory, which is faster. */
  persistence?: 'memory' | 'sqlite';
  maxQueuedPerClient?: number;
}

export async function startTestBroker(opts: TestBrokerOptions = {}): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-broker-'));
  const identities = IdentityStore.open(join(dir, 'identities.json'));
  const log = memoryLogger('broker');
  const { persistence: kind, maxQueuedPerClient, ...rest } = opts;
  const persistence: PersistenceOptions =
    kind === 'sqlite' ? { kind: 'sqlite', path: join(dir, 'broker.db'), maxQueuedPerClient } : { kind: 'memory' };
  const broker = await startBroker({ tcpPort: 0, httpPort: 0, tlsPort: 0, ...rest, persistence, identities, log });
  const clients = new Set<MqttClient>();
  const tcpUrl = `mqtt://127.0.0.1:${broker.tcpPort}`;
  const wsUrl = `ws://127.0.0.1:${broker.httpPort}/mqtt`;
  return {
    broker,
    identities,
    log,
    dir,
    tcpUrl,
    wsUrl,
    async identity(role, username, node, extra = {}) {
      const password = await identities.add(username, role, { ...(node === undefined ? {} : { node }), ...extra });
      return { username, password };
    },
    connect(creds, { ws, ...o } = {}) {
      const client = mqtt.connect(ws === true ? wsUrl : tcpUrl, {
        protocolVersion: 4,
        reconnectPeriod: 0,
        connectTimeout: 5000,
        ...creds,
        ...o,
      });
      clients.add(client);
      return new Promise((resolve, reject) => {
        client.once('connect', () => resolve(client));
        client.once('error', (err) => reject(err));
      });
    },
    async close() {
      await Promise.all([...clients].map((c) => c.endAsync(true).catch(() => undefined)));
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Wait for the first message on `filter` (subscribing first) matching `accept`. */
export async function nextMessage(
  client: MqttClient,
  filter: string,
  accept: (topic: string, payload: Buffer) => boolean = () => true,
  timeoutMs = 5000,
): Promise<{ topic: string; payload: Buffer; retain: boolean }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`no message on ${filter} within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (topic: string, payload: Buffer, packet: { retain: boolean }) => {
      if (!topicMatches(filter, topic) || !accept(topic, payload)) return;
      clearTimeout(timer);
      client.off('message', onMessage);
      resolve({ topic, payload, retain: packet.retain });
    };
    client.on('message', onMessage);
    client.subscribe(filter, { qos: 1 }, (err) => {
      if (err) {
        clearTimeout(timer);
        client.off('message', onMessage);
        reject(err);
      }
    });
  });
}

/** Poll `probe` until it returns a value other than undefined, or fail after `timeoutMs`. */
export async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export { findMosquitto, freePort, startMosquitto, type RunningMosquitto } from './testing-mosquitto.js';
