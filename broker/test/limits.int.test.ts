/**
 * Broker limits over real sockets: packet size, open connections, connection rate and the
 * per-identity command rate. Rates are set so that refilling during the test is negligible
 * (a token per 100 s): the outcomes depend on counts, never on timing.
 */
import { connect as netConnect } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopics } from '@sitrep/schemas';
import type { BrokerLimits } from '../src/index.js';
import { startTestBroker, waitFor, type Credentials, type TestBroker } from '../src/testing.js';

const t = createTopics('sitrep/v1');
const SLOW = 0.01;
let tb: TestBroker | undefined;

afterEach(async () => {
  await tb?.close();
  tb = undefined;
});

async function broker(limits: Partial<BrokerLimits>): Promise<TestBroker> {
  tb = await startTestBroker({ limits });
  return tb;
}

/** Connect without the kit's bookkeeping: resolves on CONNACK, rejects when refused or closed first. */
function attempt(url: string, creds: Credentials, clients: MqttClient[]): Promise<MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...creds });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
    client.once('close', () => reject(new Error('closed before CONNACK')));
  });
}

const closeAll = (clients: MqttClient[]) => Promise.all(clients.map((c) => c.endAsync(true)));

describe('maximum packet size', () => {
  it.each(['tcp', 'ws'] as const)('closes a %s client that sends a packet over the limit, and only that one', async (transport) => {
    const b = await broker({ maxPacketBytes: 2048 });
    const op = await b.identity('operator', 'op');
    const agent = await b.connect(await b.identity('agent', 'agent-n1', 'n1'), { ws: transport === 'ws' });
    const viewer = await b.connect(await b.identity('viewer', 'v'));
    const got: number[] = [];
    viewer.on('message', (_topic, payload) => got.push(payload.length));
    await viewer.subscribeAsync(t.filter.all(), { qos: 1 });

    await agent.publishAsync(t.events('n1'), Buffer.alloc(1500, 0x61), { qos: 1 });
    const closed = new Promise<void>((resolve) => agent.once('close', () => resolve()));
    agent.publish(t.events('n1'), Buffer.alloc(4096, 0x62), { qos: 1 });
    await closed;
    const other = await b.connect(op);
    await other.publishAsync(t.cmd('n1'), 'after', { qos: 1 });
    await waitFor(() => (got.includes(5) ? true : undefined), 'the message after the refused one');
    expect(got).toEqual([1500, 5]);
    expect(b.log.lines.join('\n')).toMatch(new RegExp(`connection closed transport=${transport} .*username=agent-n1 reason="packet of \\d+ bytes exceeds the limit of 2048"`));
  });

  it('closes an unauthenticated connection announcing a huge CONNECT before reading it', async () => {
    const b = await broker({ maxPacketBytes: 2048 });
    const socket = netConnect(b.broker.tcpPort, '127.0.0.1');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    // CONNECT (0x10) with a Remaining Length of 100 MB (0x80 0x80 0x80 0x30), then a little of it.
    socket.write(Buffer.concat([Buffer.from([0x10, 0x80, 0x80, 0x80, 0x30]), Buffer.alloc(1024)]));
    await closed;
    expect(b.log.lines.join('\n')).toMatch(/connection closed transport=tcp .*reason="packet of 100663296 bytes exceeds the limit of 2048"/);
  });
});

describe('maximum connections', () => {
  it.each(['tcp', 'ws'] as const)('refuses a %s connection past the limit and admits one again when another leaves', async (transport) => {
    const b = await broker({ maxConnections: 2 });
    const creds = await b.identity('viewer', 'v');
    const url = transport === 'ws' ? b.wsUrl : b.tcpUrl;
    const clients: MqttClient[] = [];
    try {
      const [first] = await Promise.all([attempt(url, creds, clients), attempt(url, creds, clients)]);
      await expect(attempt(url, creds, clients)).rejects.toThrow();
      expect(b.log.lines.join('\n')).toMatch(new RegExp(`connection refused remote=\\S+ transport=${transport} reason="too many connections \\(limit 2\\)"`));
      await first!.endAsync();
      // The slot is released when the socket closes, a moment after the client's end.
      await waitFor(() => (b.broker.connections() < 2 ? true : undefined), 'a free slot');
      await expect(attempt(url, creds, clients)).resolves.toBeDefined();
    } finally {
      await closeAll(clients);
    }
  });
});

describe('connection rate', () => {
  it('refuses connections past the burst until tokens come back', async () => {
    const b = await broker({ connectionsPerSecond: SLOW, connectionBurst: 3 });
    const creds = await b.identity('viewer', 'v');
    const clients: MqttClient[] = [];
    try {
      const outcomes = await Promise.allSettled([1, 2, 3, 4, 5].map(() => attempt(b.tcpUrl, creds, clients)));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(3);
      expect(b.log.lines.join('\n')).toMatch(/connection refused remote=\S+ transport=tcp reason="connection rate over 0.01\/s \(burst 3\)"/);
    } finally {
      await closeAll(clients);
    }
  });
});

describe('command rate', () => {
  it('disconnects an identity publishing commands past its rate, without touching others or the projector', async () => {
    const b = await broker({ commandsPerSecond: SLOW, commandBurst: 3 });
    const agent = await b.connect(await b.identity('agent', 'agent-n1', 'n1'));
    const commands: string[] = [];
    agent.on('message', (_topic, payload) => commands.push(payload.toString()));
    await agent.subscribeAsync(t.cmd('n1'), { qos: 1 });
    const alice = await b.connect(await b.identity('operator', 'alice'));
    for (const n of [1, 2, 3]) await alice.publishAsync(t.cmd('n1'), `alice-${n}`, { qos: 1 });
    const closed = new Promise<void>((resolve) => alice.once('close', () => resolve()));
    alice.publish(t.cmd('n1'), 'alice-4', { qos: 1 });
    await closed;
    // Another identity has its own budget.
    const bob = await b.connect(await b.identity('operator', 'bob'));
    await bob.publishAsync(t.cmd('n1'), 'bob-1', { qos: 1 });
    await waitFor(() => (commands.includes('bob-1') ? true : undefined), "bob's command");
    // The projector (service) asks for replays without a budget.
    const projector = await b.connect(await b.identity('service', 'projector'));
    for (const n of [1, 2, 3, 4, 5]) await projector.publishAsync(t.cmd('n1'), `replay-${n}`, { qos: 1 });
    await waitFor(() => (commands.includes('replay-5') ? true : undefined), 'the projector commands');
    expect(commands).toEqual(['alice-1', 'alice-2', 'alice-3', 'bob-1', 'replay-1', 'replay-2', 'replay-3', 'replay-4', 'replay-5']);
    expect(b.log.lines.join('\n')).toMatch(/publish denied client=\S+ username=alice role=operator topic=sitrep\/v1\/nodes\/n1\/cmd reason="command rate over 0.01\/s \(burst 3\)"/);
  });
});
