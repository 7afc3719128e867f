/**
 * kill -9 of the broker (`sitrep broker`, a real child process on a loopback port, with its
 * default SQLite persistence in the data directory) while a persistent projector-like session
 * (clean: false, QoS 1 subscription) is offline with 10k queued QoS 1 messages: after a restart
 * it receives every one, exactly the set published, and retained messages are still there.
 * With the in-memory persistence this test fails: the restarted broker has no session.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterEach, expect, it } from 'vitest';
import { createTopics } from '@sitrep/schemas';
import { IdentityStore } from '../src/index.js';
import { waitFor } from '../src/testing.js';

const SITREP = fileURLToPath(new URL('../../cli/bin/sitrep.js', import.meta.url));
const t = createTopics('sitrep/v1');
const N = 10_000;
const RETAINED = 200;

const children: ChildProcess[] = [];
const clients: MqttClient[] = [];
let dir: string | undefined;
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  for (const c of children.splice(0)) c.kill('SIGKILL');
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Start `sitrep broker` on free ports; resolves with its MQTT port once it logs `listening`. */
function startBrokerProcess(data: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [SITREP, 'broker', '--data', data, '--mqtt-port', '0', '--http-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`broker did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /listening mqtt=127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code}:\n${output}`));
    });
  });
}

async function connect(port: number, opts: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
  clients.push(client);
  return client;
}

it('delivers every queued QoS 1 message and keeps retained messages after a broker kill -9', async () => {
  dir = mkdtempSync(join(tmpdir(), 'sitrep-broker-crash-'));
  const identities = IdentityStore.open(join(dir, 'identities.json'));
  const projector = { username: 'projector', password: await identities.add('projector', 'service') };
  const agentCreds = { username: 'agent-n1', password: await identities.add('agent-n1', 'agent', { node: 'n1' }) };
  const viewer = { username: 'v', password: await identities.add('v', 'viewer') };
  const session = { ...projector, clientId: 'projector-1', clean: false };

  const first = await startBrokerProcess(dir);
  const consumer = await connect(first.port, session);
  await consumer.subscribeAsync(t.filter.events(), { qos: 1 });
  await consumer.endAsync();

  const agent = await connect(first.port, agentCreds);
  for (let i = 0; i < RETAINED; i++) await agent.publishAsync(t.service('n1', `unit-${i}`), `state-${i}`, { qos: 1, retain: true });
  // A PUBACK means stored and queued (patches/aedes@1.2.0.patch: stock aedes 1.2 acknowledges
  // QoS 1 before storing), so the kill right after the last one may lose nothing.
  const published = new Set<string>();
  for (let start = 0; start < N; start += 500) {
    const window: Promise<unknown>[] = [];
    for (let i = start; i < start + 500; i++) {
      published.add(`e${i}`);
      window.push(agent.publishAsync(t.events('n1'), `e${i}`, { qos: 1 }));
    }
    await Promise.all(window);
  }
  await agent.publishAsync(t.status('n1'), 'online', { qos: 1, retain: true });
  await agent.publishAsync(t.status('n1'), 'still-online', { qos: 1, retain: true });

  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));

  const second = await startBrokerProcess(dir);
  const received: string[] = [];
  const back = mqtt.connect(`mqtt://127.0.0.1:${second.port}`, { protocolVersion: 4, reconnectPeriod: 0, ...session });
  clients.push(back);
  back.on('message', (_topic, payload) => received.push(payload.toString()));
  const [connack] = (await new Promise((resolve, reject) => {
    back.once('connect', (...args) => resolve(args));
    back.once('error', reject);
  })) as [{ sessionPresent: boolean }];
  expect(connack.sessionPresent).toBe(true);
  await waitFor(() => (received.length >= N ? true : undefined), `${N} queued messages after the restart`, 60_000, 50);
  // Exactly the set published, each once.
  expect(received.length).toBe(N);
  expect(new Set(received)).toEqual(published);

  const reader = await connect(second.port, viewer);
  const retained = new Map<string, string>();
  reader.on('message', (topic, payload, packet) => packet.retain && retained.set(topic, payload.toString()));
  await reader.subscribeAsync([t.filter.status(), t.filter.node('n1')], { qos: 1 });
  await waitFor(() => (retained.size >= RETAINED + 1 ? true : undefined), 'the retained messages');
  expect(retained.get(t.status('n1'))).toBe('still-online');
  for (let i = 0; i < RETAINED; i++) expect(retained.get(t.service('n1', `unit-${i}`))).toBe(`state-${i}`);
  expect(retained.size).toBe(RETAINED + 1);
}, 180_000);
