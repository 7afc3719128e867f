import { describe, expect, it } from 'vitest';
import { createTopics, memoryLogger, type AgentEvent, type Birth, type Metrics, type Status } from '@sitrep/schemas';
import { checkpoint, createFolder, createIngest, eventsOf, getNode, listDeadLetters, openDatabase, PROJECTIONS } from '../src/index.js';

const t = createTopics('sitrep/v1');

function setup() {
  const db = openDatabase(':memory:');
  let clock = 1_000_000;
  const ingest = createIngest({ db, topics: t, log: memoryLogger('projector'), now: () => clock, maxPayloadBytes: 64 * 1024, folder: createFolder(db, PROJECTIONS), projections: PROJECTIONS });
  const send = (topic: string, value: unknown) => ingest(topic, Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)));
  const tick = (ms: number) => (clock += ms);
  const dump = () =>
    Object.fromEntries(
      ['events', 'nodes', 'checkpoints', 'dead_letters'].map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY 1`).all()]),
    );
  return { db, ingest, send, tick, dump };
}

const status = (state: Status['state'], session = 's1'): Status => ({ v: 1, node: 'n1', state, session, ts: 1 });
const event = (seq: number, session = 's1'): AgentEvent => ({ v: 1, node: 'n1', session, seq, ts: seq, type: 'AgentStarted', data: { version: '1', pid: 1 } });
const birth: Birth = {
  v: 1, node: 'n1', session: 's1', ts: 1, agent: { version: '0.1.0', pid: 9 }, interval: 10, services: [], checks: [],
  host: { hostname: 'h1', platform: 'linux', distro: 'Debian', release: '12', kernel: '6.1', arch: 'x64', machineId: null, bootTime: 5, ips: [], mac: null },
};
const metrics: Metrics = {
  v: 1, node: 'n1', ts: 7, cpu: { percent: 12.5 }, load: [0.1, 0.2, 0.3], uptime: 100,
  memory: { total: 100, used: 40, available: 60, percent: 40 },
  disks: [{ mount: '/', fs: 'ext4', size: 10, used: 5, available: 5, percent: 50 }],
};

describe('nodes read model', () => {
  it('folds status, birth and metrics into one row', () => {
    const { db, send } = setup();
    expect(send(t.status('n1'), status('online'))).toEqual({ kind: 'folded', what: 'status', node: 'n1' });
    send(t.birth('n1'), birth);
    send(t.metrics('n1'), metrics);
    expect(getNode(db, 'n1')).toMatchObject({
      state: 'online', session: 's1', hostname: 'h1', distro: 'Debian', agent_version: '0.1.0',
      cpu_percent: 12.5, mem_percent: 40, disk_percent: 50, metrics_ts: 7,
    });
  });

  it('turns a will into NodeLost and a return into NodeReturned, once each', () => {
    const { db, send, tick } = setup();
    send(t.status('n1'), status('online', 's1'));
    tick(1000);
    send(t.status('n1'), status('lost', 's1'));
    send(t.status('n1'), status('lost', 's1')); // redelivered
    expect(getNode(db, 'n1')?.state).toBe('lost');
    tick(5000);
    send(t.status('n1'), status('online', 's2'));
    const types = eventsOf(db, 'n1').map((e) => [e.type, e.origin, JSON.parse(e.data)]);
    expect(types).toEqual([
      ['NodeLost', 'projector', {}],
      ['NodeReturned', 'projector', { lostSession: 's1', lostForMs: 5000 }],
    ]);
  });

  it('ignores a late will of an older session', () => {
    const { db, send } = setup();
    send(t.status('n1'), status('online', 's2'));
    send(t.status('n1'), status('lost', 's1'));
    expect(getNode(db, 'n1')?.state).toBe('online');
    expect(eventsOf(db, 'n1')).toEqual([]);
  });

  it('clears state on an empty retained payload', () => {
    const { db, ingest, send } = setup();
    send(t.status('n1'), status('online'));
    send(t.metrics('n1'), metrics);
    expect(ingest(t.metrics('n1'), Buffer.alloc(0))).toEqual({ kind: 'cleared', what: 'metrics' });
    expect(getNode(db, 'n1')?.cpu_percent).toBeNull();
    ingest(t.status('n1'), Buffer.alloc(0));
    expect(getNode(db, 'n1')).toBeUndefined();
  });
});

describe('event log', () => {
  it('is idempotent on (node, seq): the same batch twice changes nothing', () => {
    const { send, dump } = setup();
    const batch = () => {
      for (const e of [event(1), event(2), event(3)]) send(t.events('n1'), e);
    };
    batch();
    const once = dump();
    expect(batch).not.toThrow();
    expect(dump()).toEqual(once);
    expect((once['events'] as unknown[]).length).toBe(3);
  });

  it('keeps a checkpoint of the contiguous prefix, tolerating out-of-order arrival', () => {
    const { db, send } = setup();
    send(t.events('n1'), event(1));
    send(t.events('n1'), event(3));
    expect(checkpoint(db, 'n1')).toEqual({ contiguous_seq: 1, max_seq: 3 });
    send(t.events('n1'), event(2));
    expect(checkpoint(db, 'n1')).toEqual({ contiguous_seq: 3, max_seq: 3 });
  });

  it('refuses updates and deletes', () => {
    const { db, send } = setup();
    send(t.events('n1'), event(1));
    expect(() => db.prepare('DELETE FROM events').run()).toThrow(/append-only/);
    expect(() => db.prepare("UPDATE events SET type = 'x'").run()).toThrow(/append-only/);
  });
});

describe('dead letters', () => {
  it.each([
    ['non-JSON', t.metrics('n1'), 'not json at all', /not JSON/],
    ['wrong schema', t.metrics('n1'), JSON.stringify({ ...metrics, cpu: { percent: 'high' } }), /Metrics at \/cpu\/percent/],
    ['oversize', t.birth('n1'), JSON.stringify({ ...birth, pad: 'x'.repeat(70 * 1024) }), /exceeds the limit of 65536/],
    ['plus in an id', 'sitrep/v1/nodes/a+b/metrics', JSON.stringify(metrics), /bad topic: node id "a\+b"/],
    ['hash in an id', 'sitrep/v1/nodes/n1/services/#', '{}', /bad topic/],
    ['unknown topic', 'sitrep/v1/nodes/n1/whatever', '{}', /bad topic: unknown node topic/],
    ['node mismatch', t.metrics('n2'), JSON.stringify(metrics), /payload node "n1" does not match topic node "n2"/],
    ['unknown event type', t.events('n1'), JSON.stringify({ ...event(1), type: 'Exploded' }), /unknown event type "Exploded"/],
    ['empty event', t.events('n1'), '', /empty events payload/],
    ['invalid UTF-8', t.status('n1'), Buffer.from([0xc3, 0x28]), /not valid UTF-8/],
  ])('records %s with a reason and keeps running', (_name, topic, payload, reason) => {
    const { db, ingest } = setup();
    const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const outcome = ingest(topic, bytes);
    expect(outcome.kind).toBe('dead-letter');
    const [letter] = listDeadLetters(db);
    expect(letter?.topic).toBe(topic);
    expect(letter?.reason).toMatch(reason);
    expect(letter?.payload_size).toBe(bytes.byteLength);
    expect(letter!.payload.byteLength).toBeLessThanOrEqual(4096);
    expect(eventsOf(db, 'n1')).toEqual([]);
  });
});
