/**
 * The simulator over a real broker with real ACLs: every byte it publishes must pass the contract's
 * codecs, each node must be its own agent identity, and the projector must fold it without a
 * single dead letter. Intervals are short so the test sees many ticks quickly.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { codecs, createTopics, memoryLogger, type Codec } from '@sitrep/schemas';
import { startTestBroker, nextMessage, type TestBroker } from '@sitrep/broker/testing';
import { startProjector, listDeadLetters } from '@sitrep/projector';
import { enrollSimulatedNodes, nodeIds, startFleet, type Fleet } from '../src/index.js';

const t = createTopics();
let broker: TestBroker | undefined;
let fleet: Fleet | undefined;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  await fleet?.stop();
  fleet = undefined;
  for (const c of cleanups.splice(0).reverse()) await c();
  await broker?.close();
  broker = undefined;
});

function codecFor(topic: string): Codec<any> | null {
  const p = t.parse(topic);
  if (!p.ok) throw new Error(`simulator used a topic outside the contract: ${topic} (${p.reason})`);
  switch (p.topic.kind) {
    case 'status': return codecs.status;
    case 'birth': return codecs.birth;
    case 'metrics': return codecs.metrics;
    case 'service': return codecs.serviceState;
    case 'check': return codecs.checkResult;
    case 'events': return codecs.event;
    case 'logs': return codecs.logBatch;
    case 'cmdResult': return codecs.commandResult;
    default: return null;
  }
}

/** Resolve when `pred` holds, checking on each message; reject after the timeout. */
function until(client: MqttClient, pred: () => boolean, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      if (!pred()) return;
      clearTimeout(timer);
      client.removeListener('message', check);
      resolve();
    };
    const timer = setTimeout(() => {
      client.removeListener('message', check);
      reject(new Error('condition not reached in time'));
    }, timeoutMs);
    client.on('message', check);
    check();
  });
}

describe('simulated fleet', () => {
  it('publishes only valid payloads, one identity per node, with contiguous event numbers', async () => {
    broker = await startTestBroker();
    const ids = nodeIds(12);
    const { creds, created } = await enrollSimulatedNodes(broker.dir, ids);
    expect(created).toBe(12);
    broker.identities.refresh();
    expect(broker.identities.list().filter((i) => i.role === 'agent').map((i) => i.node).sort()).toEqual(ids);

    const watcher = await broker.connect(await broker.identity('service', 'watcher'));
    await watcher.subscribeAsync(t.filter.all(), { qos: 1 });
    const invalid: string[] = [];
    const seqs = new Map<string, number[]>();
    const births = new Set<string>();
    const failures = { count: 0 };
    watcher.on('message', (topic, payload) => {
      const codec = codecFor(topic);
      if (codec === null || payload.length === 0) return;
      const r = codec.decode(payload);
      if (!r.ok) return void invalid.push(`${topic}: ${r.reason}`);
      const v = r.value as { type?: string; node: string; seq?: number; data?: { to?: string } };
      if (topic.endsWith('/birth')) births.add(v.node);
      if (v.seq !== undefined) {
        seqs.set(v.node, [...(seqs.get(v.node) ?? []), v.seq]);
        if (v.type === 'ServiceStateChanged' && v.data?.to === 'failed') failures.count += 1;
      }
    });

    fleet = await startFleet({ url: broker.tcpUrl, nodes: 12, intervalSec: 0.2, services: 5, checks: 2, checkEvery: 2, failureRate: 0.2, creds, connectRate: 5 });
    expect(fleet.stats().connected).toBe(12);
    await until(watcher, () => births.size === 12 && failures.count >= 20);

    expect(invalid).toEqual([]);
    for (const [node, list] of seqs) {
      // QoS 1 from one client arrives in order: 1, 2, 3, ... with nothing missing.
      expect(list, node).toEqual(list.map((_, i) => i + 1));
    }
    expect(fleet.stats().publishErrors).toBe(0);
  });

  it('answers commands like an agent: allowed actions change state, others are refused', async () => {
    broker = await startTestBroker();
    const [node] = nodeIds(1);
    const { creds } = await enrollSimulatedNodes(broker.dir, [node!]);
    fleet = await startFleet({ url: broker.tcpUrl, nodes: 1, intervalSec: 60, services: 2, checks: 0, failureRate: 0, creds });
    const op = await broker.connect(await broker.identity('operator', 'op'));
    await op.subscribeAsync(t.filter.cmdResult(node), { qos: 1 });

    const ask = async (id: string, action: string, target: string) => {
      const reply = nextMessage(op, t.cmdResult(node!), (_t, p) => JSON.parse(p.toString()).id === id);
      await op.publishAsync(t.cmd(node!), JSON.stringify({ id, action, target }), { qos: 1 });
      return JSON.parse((await reply).payload.toString()) as { outcome: string; message: string };
    };
    const stopped = nextMessage(op, t.service(node!, 'svc-01.service'), (_t, p) => JSON.parse(p.toString()).state === 'stopped');
    expect((await ask('c1', 'stop', 'svc-01.service')).outcome).toBe('ok');
    await stopped;
    expect(await ask('c2', 'kill', 'svc-01.service')).toMatchObject({ outcome: 'refused' });
    expect(await ask('c3', 'restart', 'nope.service')).toMatchObject({ outcome: 'refused' });
  });

  it('says offline on a clean stop and lost when the connection dies', async () => {
    broker = await startTestBroker();
    const ids = nodeIds(2);
    const { creds } = await enrollSimulatedNodes(broker.dir, ids);
    fleet = await startFleet({ url: broker.tcpUrl, nodes: 2, intervalSec: 60, services: 1, checks: 0, creds });
    const viewer = await broker.connect(await broker.identity('viewer', 'v'));
    const lost = nextMessage(viewer, t.status(ids[0]!), (_t, p) => JSON.parse(p.toString()).state === 'lost', 10_000);
    fleet.nodes[0]!.kill();
    await lost;
    const offline = nextMessage(viewer, t.status(ids[1]!), (_t, p) => JSON.parse(p.toString()).state === 'offline');
    await fleet.stop();
    fleet = undefined;
    await offline;
  });

  it('is folded by the real projector without a dead letter', async () => {
    broker = await startTestBroker();
    const dir = mkdtempSync(join(tmpdir(), 'sitrep-sim-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const svc = await broker.identity('service', 'projector');
    const projector = startProjector({ dbPath: join(dir, 'sitrep.db'), broker: { url: broker.tcpUrl, ...svc }, log: memoryLogger('projector'), tickMs: 200 });
    cleanups.push(() => projector.stop());
    await projector.ready;

    const ids = nodeIds(6);
    const { creds } = await enrollSimulatedNodes(broker.dir, ids);
    fleet = await startFleet({ url: broker.tcpUrl, nodes: 6, intervalSec: 0.2, services: 4, checks: 1, checkEvery: 2, failureRate: 0.1, creds });
    const events = () => (projector.db.prepare('SELECT count(*) AS n FROM events WHERE seq IS NOT NULL').get() as { n: number }).n;
    const deadline = Date.now() + 15_000;
    // Wait on the projector's own progress (its database), polled: it has no event to wait on.
    while (events() < 150 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(events()).toBeGreaterThanOrEqual(150);
    expect(listDeadLetters(projector.db, 10)).toEqual([]);
    const nodesSeen = projector.db.prepare('SELECT count(*) AS n FROM nodes').get() as { n: number };
    expect(nodesSeen.n).toBe(6);
  });
});
