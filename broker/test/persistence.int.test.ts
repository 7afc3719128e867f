/**
 * The SQLite persistence under a real broker on loopback: queue bounds, and the no-loss /
 * no-duplicate guarantee of the patched dedupe (patches/aedes@1.2.0.patch) when retained writes
 * go through SQLite and a persistent session is among the subscribers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { createTopics } from '@sitrep/schemas';
import { startTestBroker, waitFor, type TestBroker } from '../src/testing.js';

const t = createTopics('sitrep/v1');
let tb: TestBroker | undefined;
afterEach(async () => {
  await tb?.close();
  tb = undefined;
});

/** Counts deliveries per topic|payload; `total` is every delivery, duplicates included. */
function counter(client: MqttClient) {
  const got = new Map<string, number>();
  const state = { got, total: 0 };
  client.on('message', (topic, payload) => {
    const key = `${topic}|${payload.toString()}`;
    got.set(key, (got.get(key) ?? 0) + 1);
    state.total++;
  });
  return state;
}

describe('SQLite persistence under a real broker', () => {
  it('bounds a persistent session queue, logs and counts what it drops, and delivers the rest', async () => {
    const LIMIT = 50;
    const SENT = 80;
    tb = await startTestBroker({ persistence: 'sqlite', maxQueuedPerClient: LIMIT });
    const creds = await tb.identity('service', 'projector');
    const session = { clientId: 'projector-1', clean: false };
    const consumer = await tb.connect(creds, session);
    await consumer.subscribeAsync(t.filter.events(), { qos: 1 });
    await consumer.endAsync();

    const agent = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
    for (let i = 0; i < SENT; i++) await agent.publishAsync(t.events('n1'), `e${i}`, { qos: 1 });
    expect(tb.broker.persistence.overflow()).toEqual({ dropped: SENT - LIMIT, fullClients: ['projector-1'] });
    const lines = tb.log.lines.join('\n');
    expect(lines).toMatch(/session queue full: dropping QoS 1\/2 deliveries client=projector-1 limit=50/);
    // One line per overflow episode, not one per dropped message.
    expect(lines.match(/session queue full/g)).toHaveLength(1);

    const back = await tb.connect(creds, session);
    const seen: string[] = [];
    back.on('message', (_topic, payload) => seen.push(payload.toString()));
    await waitFor(() => (seen.length >= LIMIT ? true : undefined), `${LIMIT} queued messages`);
    // The queue keeps the oldest; the newest were refused (Mosquitto's max_queued_messages does the same).
    expect(seen).toEqual(Array.from({ length: LIMIT }, (_, i) => `e${i}`));
    // Once it drains, the session accepts again and says so.
    await agent.publishAsync(t.events('n1'), 'after', { qos: 1 });
    await waitFor(() => (seen.includes('after') ? true : undefined), 'a live message after the drain');
    expect(tb.log.lines.join('\n')).toMatch(/session queue accepting again client=projector-1 limit=50 dropped=30/);
  });

  it('loses nothing and duplicates nothing when retained and plain QoS 0/1 publishes interleave', async () => {
    const N = 600;
    tb = await startTestBroker({ persistence: 'sqlite' });
    const a1 = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
    const a2 = await tb.connect(await tb.identity('agent', 'agent-n2', 'n2'));
    // Overlapping (all + node n1) for a live viewer; non-overlapping for a second one; and a
    // persistent session like the projector's, whose QoS 1 deliveries go through the SQLite queue.
    const overlapping = await tb.connect(await tb.identity('viewer', 'v1'));
    const n2only = await tb.connect(await tb.identity('viewer', 'v2'));
    const projector = await tb.connect(await tb.identity('service', 'projector'), { clientId: 'projector-1', clean: false });
    await overlapping.subscribeAsync([t.filter.all(), t.filter.node('n1')], { qos: 1 });
    await n2only.subscribeAsync(t.filter.node('n2'), { qos: 1 });
    await projector.subscribeAsync(t.filter.all(), { qos: 1 });
    const counts = { overlapping: counter(overlapping), n2only: counter(n2only), projector: counter(projector) };

    for (let i = 0; i < N; i++) {
      const qos = (i % 2) as 0 | 1;
      a1.publish(t.metrics('n1'), `m${i}`, { qos, retain: true });
      a1.publish(t.events('n1'), `e${i}`, { qos: (1 - qos) as 0 | 1 });
      a2.publish(t.metrics('n2'), `m${i}`, { qos: (1 - qos) as 0 | 1, retain: true });
      a2.publish(t.events('n2'), `e${i}`, { qos });
    }
    const everything = 4 * N;
    await waitFor(() => (counts.overlapping.total >= everything && counts.projector.total >= everything && counts.n2only.total >= 2 * N ? true : undefined),
      'every delivery', 30_000).catch((err: Error) => {
      throw new Error(`${err.message}: overlapping ${counts.overlapping.total}, projector ${counts.projector.total}, n2only ${counts.n2only.total}`);
    });
    // A final marker through every subscription, so late duplicates would have arrived by now.
    await a1.publishAsync(t.events('n1'), 'last', { qos: 1 });
    await a2.publishAsync(t.events('n2'), 'last', { qos: 1 });
    await waitFor(() => (counts.n2only.got.has(`${t.events('n2')}|last`) && counts.projector.got.size === everything + 2 && counts.overlapping.got.size === everything + 2 ? true : undefined), 'the markers');
    for (const [name, c] of Object.entries(counts)) {
      const expected = name === 'n2only' ? 2 * N + 1 : everything + 2;
      expect({ name, distinct: c.got.size, duplicates: [...c.got.values()].filter((n) => n !== 1).length }).toEqual({ name, distinct: expected, duplicates: 0 });
    }
  }, 60_000);
});
