import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codecs, createTopics, memoryLogger } from '@sitrep/schemas';
import { nextMessage, startTestBroker, waitFor, type TestBroker } from '@sitrep/broker/testing';
import { resolveAgentConfig, startAgent, type RunningAgent } from '../src/index.js';

const t = createTopics('sitrep/v1');
let tb: TestBroker;
const agents: RunningAgent[] = [];

beforeEach(async () => {
  tb = await startTestBroker();
});
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.stop()));
  await tb.close();
});

async function agent(node: string, stateDir = mkdtempSync(join(tmpdir(), 'sitrep-agent-state-'))) {
  const creds = await tb.identities.get(`agent-${node}`) === undefined ? await tb.identity('agent', `agent-${node}`, node) : undefined;
  const config = resolveAgentConfig(
    { node, broker: { url: tb.tcpUrl, username: `agent-${node}`, password: creds?.password ?? passwords.get(node) }, interval: 3600, stateDir },
    'test',
  );
  if (creds) passwords.set(node, creds.password);
  const a = await startAgent({ config, log: memoryLogger('agent') });
  agents.push(a);
  return a;
}
const passwords = new Map<string, string>();

describe('agent against a real broker', () => {
  it('publishes valid retained status, birth and metrics, and an AgentStarted event', async () => {
    const viewer = await tb.connect(await tb.identity('viewer', 'v'));
    const event = nextMessage(viewer, t.filter.events());
    const a = await agent('n1');
    await nextMessage(viewer, t.status('n1'), (_t, p) => p.toString().includes('online'));
    // A client arriving later gets the state as retained messages.
    const late = await tb.connect(await tb.identity('viewer', 'late'));
    const status = await nextMessage(late, t.status('n1'));
    expect(status.retain).toBe(true);
    const s = codecs.status.decode(status.payload);
    expect(s.ok && s.value).toMatchObject({ node: 'n1', state: 'online', session: a.session });
    const birth = codecs.birth.decode((await nextMessage(viewer, t.birth('n1'))).payload);
    expect(birth.ok, birth.ok ? '' : birth.reason).toBe(true);
    const metrics = codecs.metrics.decode((await nextMessage(viewer, t.metrics('n1'))).payload);
    expect(metrics.ok, metrics.ok ? '' : metrics.reason).toBe(true);
    if (metrics.ok) expect(metrics.value.memory.total).toBeGreaterThan(0);
    const started = codecs.event.decode((await event).payload);
    expect(started.ok && started.value).toMatchObject({ type: 'AgentStarted', seq: 1, node: 'n1' });
  });

  it('leaves a `lost` will with its session when the connection dies, then returns with a new session', async () => {
    const viewer = await tb.connect(await tb.identity('viewer', 'v'));
    const a = await agent('n1');
    await nextMessage(viewer, t.status('n1'), (_t, p) => p.toString().includes('online'));
    const first = a.session;
    const lost = nextMessage(viewer, t.status('n1'), (_t, p) => p.toString().includes('"lost"'));
    a.client.stream.destroy(); // a dead connection, not a clean disconnect
    const will = codecs.status.decode((await lost).payload);
    expect(will.ok && will.value).toMatchObject({ state: 'lost', session: first });
    // mqtt.js resends a publish still unacknowledged when the connection died, so the first
    // session's `online` may pass by again before the new announce: wait for the new session.
    const back = await nextMessage(viewer, t.status('n1'), (_t, p) => p.toString().includes('online') && !p.toString().includes(first), 15_000);
    const again = codecs.status.decode(back.payload);
    expect(again.ok && again.value.state).toBe('online');
    expect(again.ok && again.value.session).not.toBe(first);
  }, 20_000);

  it('publishes `offline` on a clean stop', async () => {
    const viewer = await tb.connect(await tb.identity('viewer', 'v'));
    const a = await agent('n1');
    await nextMessage(viewer, t.status('n1'), (_t, p) => p.toString().includes('online'));
    const offline = nextMessage(viewer, t.status('n1'), (_t, p) => p.toString().includes('offline'));
    await agents.pop()!.stop();
    expect((await offline).payload.toString()).toContain(a.session);
  });

  it('answers commands on cmd/result and as CommandCompleted events, continuing seq across restarts', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'sitrep-agent-state-'));
    const operator = await tb.connect(await tb.identity('operator', 'op'));
    const viewer = await tb.connect(await tb.identity('viewer', 'v'));
    const events: number[] = [];
    viewer.on('message', (topic, payload) => {
      const e = codecs.event.decode(payload);
      if (topic === t.events('n1') && e.ok) events.push(e.value.seq);
    });
    await viewer.subscribeAsync(t.events('n1'), { qos: 1 });
    await agent('n1', stateDir);
    await waitFor(() => (events.length === 1 ? true : undefined), 'the first AgentStarted');
    await agents.pop()!.stop();
    await agent('n1', stateDir);
    await waitFor(() => (events.length === 2 ? true : undefined), 'the second AgentStarted');

    const refused = nextMessage(operator, t.cmdResult('n1'), (_t, p) => p.toString().includes('"c1"'));
    await operator.publishAsync(t.cmd('n1'), JSON.stringify({ id: 'c1', action: 'restart', target: 'ssh.service', by: 'op' }), { qos: 1 });
    const r1 = codecs.commandResult.decode((await refused).payload);
    expect(r1.ok && r1.value).toMatchObject({ id: 'c1', outcome: 'refused' });

    const ok = nextMessage(operator, t.cmdResult('n1'), (_t, p) => p.toString().includes('"c2"'));
    await operator.publishAsync(t.cmd('n1'), JSON.stringify({ id: 'c2', action: 'rebirth', target: '' }), { qos: 1 });
    const r2 = codecs.commandResult.decode((await ok).payload);
    expect(r2.ok && r2.value).toMatchObject({ id: 'c2', outcome: 'ok' });
    await waitFor(() => (events.length >= 4 ? true : undefined), 'two CommandCompleted events');
    expect(events).toEqual([1, 2, 3, 4]);
  });
});
