/**
 * A real hub in this process (broker, projector, no local agent) on loopback port 0 in a
 * throw-away data directory, with the TestBroker-like helpers the fleet fixture needs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Credentials } from '@sitrep/broker/testing';
import { memoryLogger } from '@sitrep/schemas';
import type { Role } from '@sitrep/schemas/config';
import { startHub, type RunningHub } from '../../src/hub/hub.js';

export interface TestHub {
  hub: RunningHub;
  tcpUrl: string;
  httpUrl: string;
  identity(role: Role, username: string, node?: string): Promise<Credentials>;
  connect(creds: Credentials): Promise<MqttClient>;
  close(): Promise<void>;
}

export async function startTestHub(): Promise<TestHub> {
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-hub-'));
  const hub = await startHub({ dataDir: dir, host: '127.0.0.1', mqttPort: 0, httpPort: 0, agent: false, intervalSeconds: 10, uiDir: join(dir, 'no-ui'), log: memoryLogger('hub') });
  const clients = new Set<MqttClient>();
  const broker = hub.broker;
  if (broker === null) throw new Error('the test hub runs its embedded broker');
  const tcpUrl = `mqtt://127.0.0.1:${broker.tcpPort}`;
  return {
    hub,
    tcpUrl,
    httpUrl: `http://127.0.0.1:${broker.httpPort}`,
    async identity(role, username, node) {
      const password = await hub.bootstrap.identities.add(username, role, node === undefined ? {} : { node });
      return { username, password };
    },
    connect(creds) {
      const client = mqtt.connect(tcpUrl, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...creds });
      clients.add(client);
      return new Promise((resolve, reject) => {
        client.once('connect', () => resolve(client));
        client.once('error', reject);
      });
    },
    async close() {
      await Promise.all([...clients].map((c) => c.endAsync(true).catch(() => undefined)));
      await hub.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Poll an async probe until it returns something other than undefined. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
