/**
 * The projector's live duties over a real broker: filling a gap by asking the agent to replay,
 * recording a gap that is not replayed, answering queries (and refusing bad ones), publishing
 * retained alerts and summary.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codecs, createTopics, memoryLogger, type AgentEvent } from '@sitrep/schemas';
import { HubConfig } from '@sitrep/schemas/config';
import { nextMessage, startTestBroker, waitFor, type TestBroker } from '@sitrep/broker/testing';
import { checkpoint, eventsOf, listDeadLetters, startProjector, type RunningProjector } from '../src/index.js';

const t = createTopics('sitrep/v1');
let tb: TestBroker;
let projector: RunningProjector;
let agent: MqttClient;
let viewer: MqttClient;
const commands: { action: string; args?: Record<string, number> }[] = [];

const ev = (seq: number): AgentEvent => ({ v: 1, node: 'n1', session: 's1', seq, ts: 1000 + seq, type: 'AgentStarted', data: { version: '1', pid: seq } });
const publishEvent = (seq: number) => agent.publishAsync(t.events('n1'), JSON.stringify(ev(seq)), { qos: 1 });

async function start(opts: { replayTimeoutMs: number; hub?: unknown }) {
  tb = await startTestBroker();
  const creds = await tb.identity('service', 'projector');
  projector = startProjector({
    dbPath: join(mkdtempSync(join(tmpdir(), 'sitrep-pmqtt-')), 'sitrep.db'),
    broker: { url: tb.tcpUrl, ...creds },
    log: memoryLogger('projector'),
    tickMs: 100,
    reorderWindowMs: 200,
    replayTimeoutMs: opts.replayTimeoutMs,
    hub: HubConfig.parse(opts.hub ?? {}),
  });
  await projector.ready;
  agent = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
  agent.on('message', (_topic, payload) => commands.push(JSON.parse(payload.toString()) as { action: string }));
  await agent.subscribeAsync(t.cmd('n1'), { qos: 1 });
  viewer = await tb.connect(await tb.identity('viewer', 'v'));
}

beforeEach(() => {
  commands.length = 0;
});
afterEach(async () => {
  await projector?.stop();
  await tb?.close();
});

describe('gaps over MQTT', () => {
  it('asks the agent to replay a missing event and folds in order once it arrives', async () => {
    await start({ replayTimeoutMs: 60_000 });
    for (const seq of [1, 2, 4, 5]) await publishEvent(seq);
    const replay = await waitFor(() => commands.find((c) => c.action === 'replay'), 'a replay command');
    expect(replay.args).toEqual({ fromSeq: 3 });
    await publishEvent(3);
    await waitFor(() => (checkpoint(projector.db, 'n1')?.contiguous_seq === 5 ? true : undefined), 'gap filled');
    expect(eventsOf(projector.db, 'n1').filter((e) => e.type === 'GapDetected')).toEqual([]);
  });

  it('records GapDetected and asks for a birth when the replay does not come', async () => {
    await start({ replayTimeoutMs: 300 });
    for (const seq of [1, 2, 5]) await publishEvent(seq);
    await waitFor(() => commands.find((c) => c.action === 'rebirth'), 'a rebirth command');
    const gap = eventsOf(projector.db, 'n1').find((e) => e.type === 'GapDetected');
    expect(JSON.parse(gap!.data)).toMatchObject({ fromSeq: 3, toSeq: 4 });
    expect(checkpoint(projector.db, 'n1')).toEqual({ contiguous_seq: 5, max_seq: 5 });
  });
});

describe('queries over MQTT', () => {
  it('answers on the reply topic, with errors for bad requests, and never replies elsewhere', async () => {
    await start({ replayTimeoutMs: 60_000 });
    await publishEvent(1);
    await waitFor(() => (eventsOf(projector.db, 'n1').length === 1 ? true : undefined), 'event folded');
    const replyTo = t.reply('ui-test');
    const ask = async (name: string, body: unknown) => {
      const id = `q${Math.random().toString(16).slice(2, 10)}`;
      const reply = nextMessage(viewer, replyTo, (_t, p) => p.toString().includes(id));
      await viewer.publishAsync(t.query(name), JSON.stringify({ id, replyTo, ...(body as object) }), { qos: 1 });
      const decoded = codecs.queryReply.decode((await reply).payload);
      if (!decoded.ok) throw new Error(decoded.reason);
      return decoded.value;
    };
    const nodes = await ask('nodes', {});
    expect(nodes).toMatchObject({ ok: true, data: [expect.objectContaining({ node: 'n1' })] });
    expect(await ask('transitions', { args: { node: 'NOT VALID' } })).toMatchObject({ ok: false, error: { code: 'BAD_ARGS', message: expect.stringMatching(/\/node/) } });
    expect(await ask('teleport', {})).toMatchObject({ ok: false, error: { code: 'UNKNOWN_QUERY' } });
    expect(await ask('metrics', { args: { node: 'n1' } })).toMatchObject({ ok: true, data: { points: [] } });

    await viewer.publishAsync(t.query('nodes'), JSON.stringify({ id: 'evil', replyTo: t.cmd('n1') }), { qos: 1 });
    await waitFor(() => listDeadLetters(projector.db).find((d) => d.reason.includes('not answerable')), 'refused replyTo');
    expect(commands).toEqual([]);
  });
});

describe('alerts', () => {
  it('publishes retained alerts and summary when a service goes down', async () => {
    await start({ replayTimeoutMs: 60_000, hub: { alerts: { services: { 'web.service': 0 } } } });
    await agent.publishAsync(t.status('n1'), JSON.stringify({ v: 1, node: 'n1', state: 'online', session: 's1', ts: Date.now() }), { qos: 1, retain: true });
    const down = { v: 1, node: 'n1', service: 'web.service', ts: Date.now(), kind: 'systemd', state: 'failed', expect: 'running', exists: true, since: Date.now(), pid: null, memoryBytes: null, cpuPercent: null, restarts: 1 };
    await agent.publishAsync(t.service('n1', 'web.service'), JSON.stringify(down), { qos: 1, retain: true });
    const alerts = await nextMessage(viewer, t.alerts(), (_t, p) => p.toString().includes('service_down'), 10_000);
    const decoded = codecs.alerts.decode(alerts.payload);
    expect(decoded.ok && decoded.value.alerts.map((a) => a.id)).toEqual(['service_down:n1:web.service']);
    const summary = codecs.summary.decode((await nextMessage(viewer, t.summary(), (_t, p) => p.toString().includes('"unhealthy":1'))).payload);
    expect(summary.ok && summary.value).toMatchObject({ nodes: { total: 1, online: 1 }, services: { total: 1, unhealthy: 1 }, alerts: { open: 1 } });
  });
});
