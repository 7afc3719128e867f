/**
 * One frozen subscriber must not stall delivery to the others: aedes waits for every matching
 * client's socket to drain before it moves on (mqemitter's concurrency is 100 messages), so a
 * client that stops reading blocks everybody until the drain timeout disconnects it.
 *
 * The frozen client is a raw TCP socket that sends CONNECT and SUBSCRIBE and then never reads;
 * mqtt.js cannot be told to stop reading its socket. With `drainTimeoutMs: 0` (no timeout) this
 * test fails: the healthy subscriber stalls at about 160 of the 400 messages.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { createTopics } from '@sitrep/schemas';
import { startTestBroker, waitFor, type Credentials, type TestBroker } from '../src/testing.js';

const t = createTopics('sitrep/v1');
let tb: TestBroker | undefined;
let raw: Socket | undefined;
afterEach(async () => {
  raw?.destroy();
  await tb?.close();
  tb = undefined;
});

function utf8(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
}

/** MQTT 3.1.1 fixed header: type/flags byte then the variable-length remaining length [MQTT-2.2.3]. */
function frame(first: number, body: Buffer): Buffer {
  const len: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    len.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([first, ...len]), body]);
}

function connectPacket(clientId: string, creds: Credentials): Buffer {
  // Protocol "MQTT" level 4, flags: username + password + clean session, keepalive 0 (off).
  const header = Buffer.concat([utf8('MQTT'), Buffer.from([4, 0b1100_0010, 0, 0])]);
  return frame(0x10, Buffer.concat([header, utf8(clientId), utf8(creds.username), utf8(creds.password)]));
}

function subscribePacket(filter: string): Buffer {
  return frame(0x82, Buffer.concat([Buffer.from([0, 1]), utf8(filter), Buffer.from([0])]));
}

it('disconnects a client that stops reading, and the others keep receiving', async () => {
  tb = await startTestBroker({ drainTimeoutMs: 1000 });
  const viewer = await tb.identity('viewer', 'v');
  const subscribed = new Promise<void>((resolve) =>
    tb!.broker.aedes.on('subscribe', (_subs, client) => client.id === 'frozen' && resolve()),
  );
  raw = connect(tb.broker.tcpPort, '127.0.0.1');
  await once(raw, 'connect');
  raw.write(Buffer.concat([connectPacket('frozen', viewer), subscribePacket(t.filter.events())]));
  raw.pause(); // never read again: the kernel buffers fill, then aedes' writes wait for drain
  await subscribed;

  const healthy = await tb.connect(viewer);
  let received = 0;
  healthy.on('message', () => received++);
  await healthy.subscribeAsync(t.filter.events(), { qos: 0 });

  // ~26 MB: far more than loopback socket buffers hold, so the frozen socket stops draining.
  const N = 400;
  const payload = Buffer.alloc(64 * 1024, 'x');
  const agent = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
  for (let i = 0; i < N; i++) await agent.publishAsync(t.events('n1'), payload, { qos: 0 });

  await waitFor(() => (received === N ? true : undefined), `${N} messages to the healthy subscriber`, 30_000);
  expect(tb.log.lines.join('\n')).toMatch(/client error client=frozen error="drain timeout"/);
  expect(tb.broker.aedes.connectedClients).toBe(2); // the healthy subscriber and the agent
}, 60_000);
