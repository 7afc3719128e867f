import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTopics, memoryLogger, type AgentEvent } from '@sitrep/schemas';
import { startTestBroker, waitFor, type Credentials, type TestBroker } from '@sitrep/broker/testing';
import { eventsOf, getNode, listDeadLetters, startProjector, type RunningProjector } from '../src/index.js';

const t = createTopics('sitrep/v1');
let tb: TestBroker;
let creds: Credentials;
let dbPath: string;
const running: RunningProjector[] = [];

beforeEach(async () => {
  tb = await startTestBroker();
  creds = await tb.identity('service', 'projector');
  dbPath = join(mkdtempSync(join(tmpdir(), 'sitrep-projector-')), 'sitrep.db');
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
  await tb.close();
});

async function projector(): Promise<RunningProjector> {
  const p = startProjector({ dbPath, broker: { url: tb.tcpUrl, ...creds }, log: memoryLogger('projector') });
  running.push(p);
  await p.ready;
  return p;
}

const event = (seq: number): AgentEvent => ({ v: 1, node: 'n1', session: 's1', seq, ts: seq, type: 'AgentStarted', data: { version: '1', pid: 1 } });

describe('projector against a real broker', () => {
  it('folds state and events, records garbage as dead letters, and keeps running', async () => {
    const p = await projector();
    const agent = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
    await agent.publishAsync(t.status('n1'), JSON.stringify({ v: 1, node: 'n1', state: 'online', session: 's1', ts: 1 }), { qos: 1, retain: true });
    await agent.publishAsync(t.events('n1'), JSON.stringify(event(1)), { qos: 1 });
    await agent.publishAsync(t.metrics('n1'), 'garbage', { qos: 1, retain: true });
    await agent.publishAsync(t.birth('n1'), JSON.stringify({ v: 1, node: 'n1' }), { qos: 0 });
    await agent.publishAsync(t.events('n1'), Buffer.alloc(300 * 1024, 0x7b), { qos: 1 });
    await waitFor(() => (listDeadLetters(p.db).length === 3 ? true : undefined), 'three dead letters');
    await waitFor(() => getNode(p.db, 'n1')?.state === 'online' || undefined, 'node online');
    expect(eventsOf(p.db, 'n1').map((e) => e.seq)).toEqual([1]);
    const reasons = listDeadLetters(p.db).map((d) => d.reason);
    expect(reasons).toHaveLength(3);
    expect(reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^Birth/), expect.stringMatching(/exceeds the limit/), expect.stringMatching(/not JSON/)]),
    );
    expect(p.client.connected).toBe(true);
  });

  it('gets what was published while it was away, through its persistent session', async () => {
    const first = await projector();
    const agent = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
    await agent.publishAsync(t.events('n1'), JSON.stringify(event(1)), { qos: 1 });
    await waitFor(() => eventsOf(first.db, 'n1').length === 1 || undefined, 'first event');
    await running.pop()!.stop();
    for (let seq = 2; seq <= 50; seq++) await agent.publishAsync(t.events('n1'), JSON.stringify(event(seq)), { qos: 1 });
    const second = await projector();
    await waitFor(() => eventsOf(second.db, 'n1').length === 50 || undefined, 'all 50 events');
    expect(eventsOf(second.db, 'n1').map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });
});
