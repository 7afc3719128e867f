import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTopics } from '@sitrep/schemas';
import { IdentityStore } from '../src/index.js';
import { nextMessage, startTestBroker, type TestBroker } from '../src/testing.js';

const t = createTopics('sitrep/v1');
let tb: TestBroker;

beforeEach(async () => {
  tb = await startTestBroker();
});
afterEach(async () => {
  await tb.close();
});

describe('authentication', () => {
  it('refuses anonymous and wrong-password connections, on TCP and WebSocket', async () => {
    const creds = await tb.identity('viewer', 'alice');
    await expect(tb.connect({ username: '', password: '' })).rejects.toThrow(/Bad username or password|Not authorized/);
    await expect(tb.connect({ username: 'alice', password: 'nope' })).rejects.toThrow(/Bad username or password/);
    await expect(tb.connect({ username: 'alice', password: 'nope' }, { ws: true })).rejects.toThrow(/Bad username or password/);
    await expect(tb.connect({ username: 'bob', password: creds.password })).rejects.toThrow(/Bad username or password/);
    const ok = await tb.connect(creds, { ws: true });
    expect(ok.connected).toBe(true);
    expect(tb.log.lines.join('\n')).not.toContain(creds.password);
  });

  it('stores identities hashed in a 0600 file that reloads', async () => {
    const creds = await tb.identity('agent', 'agent-n1', 'n1');
    const path = tb.identities.path;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const reloaded = IdentityStore.open(path);
    expect(reloaded.get('agent-n1')?.node).toBe('n1');
    expect(JSON.stringify(reloaded.list())).not.toContain(creds.password);
    expect(await reloaded.verify('agent-n1', creds.password)).not.toBeNull();
    expect(await reloaded.verify('agent-n1', 'x')).toBeNull();
  });
});

describe('authorization over real connections', () => {
  it('lets a viewer read retained state but not publish a command', async () => {
    const agent = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
    await agent.publishAsync(t.status('n1'), 'online', { qos: 1, retain: true });
    const viewer = await tb.connect(await tb.identity('viewer', 'v'), { ws: true });
    const operator = await tb.connect(await tb.identity('operator', 'op'));
    const seen = await nextMessage(viewer, t.filter.status());
    expect(seen).toMatchObject({ topic: t.status('n1'), retain: true });

    const cmds: string[] = [];
    agent.on('message', (_topic, payload) => cmds.push(payload.toString()));
    await agent.subscribeAsync(t.cmd('n1'), { qos: 1 });
    // The broker cannot NACK a QoS 1 publish in MQTT 3.1.1: aedes closes the connection.
    const closed = new Promise<void>((resolve) => viewer.once('close', () => resolve()));
    viewer.publish(t.cmd('n1'), '{"id":"v1","action":"restart","target":"x"}', { qos: 1 });
    await closed;
    // The operator's command goes through and arrives after the refused one would have.
    const arrived = nextMessage(agent, t.cmd('n1'));
    await operator.publishAsync(t.cmd('n1'), '{"id":"o1","action":"restart","target":"x"}', { qos: 1 });
    await arrived;
    expect(cmds).toEqual(['{"id":"o1","action":"restart","target":"x"}']);
    expect(tb.log.lines.join('\n')).toMatch(/publish denied client=\S+ username=v role=viewer/);
  });

  it('keeps an agent inside its own subtree', async () => {
    const agent = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
    // A refused subscription is SUBACK 0x80, which mqtt.js reports as an error.
    await expect(agent.subscribeAsync(t.cmd('n2'), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(agent.subscribeAsync(t.filter.all(), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    await expect(agent.subscribeAsync(t.filter.cmd(), { qos: 1 })).rejects.toThrow(/Subscribe error/);
    expect((await agent.subscribeAsync(t.cmd('n1'), { qos: 1 }))[0]?.qos).toBe(1);
    const closed = new Promise<void>((resolve) => agent.once('close', () => resolve()));
    agent.publish(t.status('n2'), 'spoof', { qos: 1, retain: true });
    await closed;
    const viewer = await tb.connect(await tb.identity('viewer', 'v'));
    const none = await viewer.subscribeAsync(t.status('n2'), { qos: 1 });
    expect(none[0]?.qos).toBe(1);
    expect(tb.log.lines.join('\n')).toMatch(/agent of node n1 may publish only under its own node/);
  });
});

describe('delivery', () => {
  // aedes 1.2 drops a retained publish overtaken by a later one (moscajs/aedes #955); our patch
  // (patches/aedes@1.2.0.patch) must deliver every message exactly once per subscription.
  it('loses nothing when retained and plain publishes interleave', async () => {
    const N = 1000;
    const agent = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
    const sub = await tb.connect(await tb.identity('viewer', 'v'));
    const got = new Map<string, number>();
    let total = 0;
    const done = new Promise<void>((resolve) =>
      sub.on('message', (topic, payload) => {
        const key = `${topic}|${payload.toString()}`;
        got.set(key, (got.get(key) ?? 0) + 1);
        if (++total === 2 * N) resolve();
      }),
    );
    // Overlapping filters: each message matches two subscriptions of the same client.
    await sub.subscribeAsync([t.filter.all(), t.filter.node('n1')], { qos: 1 });
    for (let i = 0; i < N; i++) {
      agent.publish(t.metrics('n1'), `r${i}`, { qos: (i % 2) as 0 | 1, retain: true });
      agent.publish(t.events('n1'), `e${i}`, { qos: ((i + 1) % 2) as 0 | 1 });
    }
    // Wait for all of them, but fail with the count rather than a bare timeout.
    await Promise.race([done, new Promise((r) => setTimeout(r, 10_000))]);
    expect(got.size).toBe(2 * N);
    // Two overlapping subscriptions of one client still deliver each message once.
    const last = new Promise<void>((resolve) => sub.on('message', (_t, p) => p.toString() === 'last' && resolve()));
    await agent.publishAsync(t.events('n1'), 'last', { qos: 1 });
    await last;
    expect([...got.values()].filter((count) => count !== 1)).toEqual([]);
  }, 30_000);
});
