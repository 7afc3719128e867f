/**
 * Retained messages answering a SUBSCRIBE come at the granted QoS, never above it [MQTT-3.8.4-6],
 * for wildcard subscriptions too (aedes 1.2 alone sends them at their stored QoS).
 */
import type { IPublishPacket, MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { atGrantedQos, grantedQos } from '../src/delivery/retained-qos.js';
import { startTestBroker, type TestBroker } from '../src/testing.js';

let tb: TestBroker;
beforeEach(async () => {
  tb = await startTestBroker();
});
afterEach(async () => {
  await tb.close();
});

async function retained(client: MqttClient, filter: string, qos: 0 | 1, count: number): Promise<IPublishPacket[]> {
  const got: IPublishPacket[] = [];
  const all = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${got.length} of ${count} retained messages`)), 10_000);
    client.on('message', (_topic, _payload, packet) => {
      got.push(packet);
      if (got.length === count) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await client.subscribeAsync(filter, { qos });
  await all;
  return got;
}

describe('retained delivery QoS', () => {
  it('is the subscription’s granted QoS for wildcard and exact filters, over TCP and WebSocket', async () => {
    const agent = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
    await agent.publishAsync('sitrep/v1/nodes/n1/services/a.service', '{}', { qos: 1, retain: true });
    await agent.publishAsync('sitrep/v1/nodes/n1/services/b.service', '{}', { qos: 1, retain: true });
    const viewer = await tb.identity('viewer', 'v');
    const qos0 = await retained(await tb.connect(viewer, { ws: true }), 'sitrep/v1/nodes/+/services/+', 0, 2);
    expect(qos0.map((p) => [p.topic, p.qos, p.retain])).toEqual([
      ['sitrep/v1/nodes/n1/services/a.service', 0, true],
      ['sitrep/v1/nodes/n1/services/b.service', 0, true],
    ]);
    const exact = await retained(await tb.connect(viewer), 'sitrep/v1/nodes/n1/services/a.service', 0, 1);
    expect(exact[0]?.qos).toBe(0);
    const qos1 = await retained(await tb.connect(viewer), 'sitrep/v1/nodes/+/services/#', 1, 2);
    expect(qos1.map((p) => p.qos)).toEqual([1, 1]);
    await agent.endAsync();
  });
});

describe('grantedQos / atGrantedQos', () => {
  const subs = { 'a/+/c': { qos: 0 }, 'a/#': { qos: 1 }, 'x/y': { qos: 0 } };
  it('takes the highest QoS among the matching filters', () => {
    expect(grantedQos(subs, 'a/b/c')).toBe(1);
    expect(grantedQos(subs, 'x/y')).toBe(0);
    expect(grantedQos(subs, 'z')).toBeNull();
  });
  it('downgrades retained packets only, as a copy', () => {
    const packet = { topic: 'x/y', qos: 1 as const, retain: true, payload: 'p' };
    const out = atGrantedQos(subs, packet);
    expect(out).toEqual({ ...packet, qos: 0 });
    expect(packet.qos).toBe(1);
    const live = { ...packet, retain: false };
    expect(atGrantedQos(subs, live)).toBe(live);
    expect(atGrantedQos(subs, { ...packet, topic: 'a/b/c' }).qos).toBe(1);
  });
});
