/** The ACL matrix (acl-matrix.ts) over real MQTT connections to the embedded broker, on TCP and WebSocket. */
import mqtt, { type MqttClient, type Packet } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, waitFor, type Credentials, type TestBroker } from '../src/testing.js';
import { cases, identityOf, PUBLISH, ROLES, SUBSCRIBE, t, type RoleName } from './acl-matrix.js';

// MQTT 3.1.1 SUBACK return codes [MQTT-3.9.3]: the granted QoS, or 0x80 for a refusal.
const SUBACK_FAILURE = 0x80;

let tb: TestBroker;
const creds = new Map<RoleName, Credentials>();
/** A service identity subscribed to everything under the prefix: sees whatever gets through. */
let observer: MqttClient;
let sentinel: MqttClient;
const seen = new Set<string>();

beforeAll(async () => {
  tb = await startTestBroker();
  for (const role of ROLES) {
    const who = identityOf(role);
    creds.set(role, await tb.identity(who.role, who.username, who.node, { commands: who.commands }));
  }
  observer = await tb.connect(await tb.identity('service', 'observer'));
  observer.on('message', (_topic, payload) => seen.add(payload.toString()));
  await observer.subscribeAsync(t.filter.all(), { qos: 1 });
  sentinel = await tb.connect(await tb.identity('service', 'sentinel'));
});
afterAll(async () => {
  await tb.close();
});

let marker = 0;

describe.each(['tcp', 'ws'] as const)('ACL matrix over %s', (transport) => {
  const clients = new Map<RoleName, MqttClient>();
  /** A connected client for the role; a fresh one after the broker closed the last. */
  async function client(role: RoleName): Promise<MqttClient> {
    const existing = clients.get(role);
    if (existing?.connected === true) return existing;
    const c = await tb.connect(creds.get(role)!, { ws: transport === 'ws' });
    clients.set(role, c);
    return c;
  }

  it.each(cases(PUBLISH))('$role publishes $topic: $allowed', async ({ role, topic, allowed }) => {
    const c = await client(role);
    const payload = `${transport}-${++marker}`;
    if (allowed) {
      await c.publishAsync(topic, payload, { qos: 1 });
      await waitFor(() => (seen.has(payload) ? true : undefined), `${payload} at the observer`, 5000);
      return;
    }
    // No negative PUBACK in MQTT 3.1.1: the broker drops the connection instead.
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish(topic, payload, { qos: 1 });
    await closed;
    // The sentinel's publish is routed after the refused one was handled: once it arrives, the
    // refused message would have too.
    const after = `${payload}-sentinel`;
    await sentinel.publishAsync(t.summary(), after, { qos: 1 });
    await waitFor(() => (seen.has(after) ? true : undefined), 'the sentinel at the observer', 5000);
    expect(seen.has(payload)).toBe(false);
    const denial = tb.log.lines.find((l) => l.includes('publish denied') && l.includes(`username=${creds.get(role)!.username} `) && l.includes(topic));
    expect(denial).toMatch(/reason=/);
    expect(denial).not.toContain(creds.get(role)!.password);
  });

  it.each(cases(SUBSCRIBE))('$role subscribes $topic: $allowed', async ({ role, topic, allowed }) => {
    const c = await client(role);
    const suback = new Promise<number[]>((resolve) => {
      const onPacket = (packet: Packet) => {
        if (packet.cmd !== 'suback') return;
        c.off('packetreceive', onPacket);
        resolve(packet.granted as number[]);
      };
      c.on('packetreceive', onPacket);
    });
    c.subscribe(topic, { qos: 1 }, () => undefined); // mqtt.js reports 0x80 as an error; the SUBACK is what we check.
    expect(await suback).toEqual([allowed ? 1 : SUBACK_FAILURE]);
    expect(c.connected).toBe(true);
    if (allowed) await c.unsubscribeAsync(topic);
    else expect(tb.log.lines.some((l) => l.includes('subscribe denied') && l.includes(`username=${creds.get(role)!.username} `) && l.includes(topic))).toBe(true);
  });
});

describe('forwarding', () => {
  it('does not deliver queued messages outside the scope of the identity that reconnects', async () => {
    // A viewer's persistent session queues messages; the identity becomes an agent of n1 before it
    // comes back. Its old subscription is refused on restore; the queued messages meet the
    // forwarding gate: only n1's commands get through.
    const alice = await tb.identity('viewer', 'alice');
    const session = { clientId: 'alice-session', clean: false };
    const first = await tb.connect(alice, session);
    await first.subscribeAsync(t.filter.all(), { qos: 1 });
    await first.endAsync();
    const agent2 = await tb.connect(await tb.identity('agent', 'agent-n2', 'n2'));
    await agent2.publishAsync(t.status('n2'), 'queued-status', { qos: 1 });
    await sentinel.publishAsync(t.cmd('n1'), 'queued-cmd', { qos: 1 });

    tb.identities.remove('alice');
    const password = await tb.identities.add('alice', 'agent', { node: 'n1' });
    const got: string[] = [];
    // Listen from the first packet on: queued messages follow the CONNACK at once.
    const back = mqtt.connect(tb.tcpUrl, { protocolVersion: 4, reconnectPeriod: 0, username: 'alice', password, ...session });
    back.on('message', (_topic, payload) => got.push(payload.toString()));
    await waitFor(() => (got.includes('queued-cmd') ? true : undefined), 'the queued command');
    expect(got).toEqual(['queued-cmd']);
    await back.endAsync(true);
    expect(tb.log.lines.join('\n')).toMatch(/forward denied client=alice-session username=alice role=agent topic=sitrep\/v1\/nodes\/n2\/status/);
  });
});

describe('wills', () => {
  it('refuses a connection whose will would publish outside its scope, and delivers a will inside it', async () => {
    const creds = await tb.identity('agent', 'agent-w1', 'w1');
    const spoof = { topic: t.status('w2'), payload: Buffer.from('lost'), qos: 1 as const, retain: true };
    await expect(tb.connect(creds, { will: spoof })).rejects.toThrow(/Not authorized/);
    expect(tb.log.lines.join('\n')).toMatch(/connection refused: will denied .*username=agent-w1 role=agent topic=sitrep\/v1\/nodes\/w2\/status reason=/);

    const own = await tb.connect(creds, { will: { ...spoof, topic: t.status('w1'), payload: Buffer.from('will-w1') } });
    const stream = (own as unknown as { stream: { destroy(): void } }).stream;
    stream.destroy(); // An abrupt end, not a DISCONNECT: the broker publishes the will.
    await waitFor(() => (seen.has('will-w1') ? true : undefined), 'the will at the observer');
  });
});
