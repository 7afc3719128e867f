/**
 * Events survive a broker outage: spooled on disk while offline, delivered in order once
 * connected, overflow reported by an EventsDropped event. Real broker, real MQTT client.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { UniqueMessageIdProvider } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { codecs, createTopics, memoryLogger, type AgentEvent } from '@sitrep/schemas';
import { startTestBroker, waitFor, type TestBroker } from '@sitrep/broker/testing';
import { EventPublisher } from '../src/events/publisher.js';
import { Sequence } from '../src/events/sequence.js';
import { EventSpool } from '../src/events/spool.js';

const t = createTopics('sitrep/v1');
let tb: TestBroker;
afterEach(async () => tb?.close());

describe('event publisher', () => {
  it('spools while offline, then delivers in order and reports what overflowed', async () => {
    tb = await startTestBroker();
    const creds = await tb.identity('agent', 'agent-n1', 'n1');
    const viewer = await tb.connect(await tb.identity('viewer', 'v'));
    const seen: AgentEvent[] = [];
    viewer.on('message', (_topic, payload) => {
      const e = codecs.event.decode(payload);
      if (e.ok) seen.push(e.value);
    });
    await viewer.subscribeAsync(t.events('n1'), { qos: 1 });

    const dir = mkdtempSync(join(tmpdir(), 'sitrep-pub-'));
    const client = mqtt.connect(tb.tcpUrl, { ...creds, protocolVersion: 4, manualConnect: true, messageIdProvider: new UniqueMessageIdProvider() });
    const spool = new EventSpool(dir, 100);
    const pub = new EventPublisher({ client, topic: t.events('n1'), node: 'n1', session: () => 's1', seq: new Sequence(dir), spool, log: memoryLogger(), now: Date.now });
    for (let i = 0; i < 130; i++) pub.emit('AgentStarted', { version: String(i), pid: i });
    expect(spool.unacked()).toHaveLength(100);

    client.on('connect', () => pub.flush());
    client.connect();
    await waitFor(() => (seen.length >= 101 ? true : undefined), '101 events');
    expect(seen[0]).toMatchObject({ type: 'EventsDropped', seq: 131, data: { count: 30, fromSeq: 1, toSeq: 30 } });
    expect(seen.slice(1).map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 31));
    await waitFor(() => (spool.unacked().length === 0 ? true : undefined), 'every event acknowledged');
    await client.endAsync();
  });
});
