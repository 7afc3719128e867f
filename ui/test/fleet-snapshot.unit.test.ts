/**
 * The fleet snapshot in the ui: read and checked, merged under the retained topics (they always
 * win, a deletion included, and the snapshot never replaces what they said), and the connect flow
 * over the fake client: the retained subscriptions wait for the snapshot, and go ahead without it
 * on a timeout or an offline projector.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, shallowRef, type EffectScope } from 'vue';
import { codecs, type FleetSnapshot, type ProjectorStatus } from '@sitrep/schemas';
import { useFleet } from '../src/composables/useFleet.js';
import { useFleetSnapshot } from '../src/composables/useFleetSnapshot.js';
import { useItems } from '../src/composables/useItems.js';
import { useMqtt, type MqttSession } from '../src/composables/useMqtt.js';
import { useQuery } from '../src/composables/useQuery.js';
import { applySnapshotItems, applySnapshotNodes, isFromSnapshot, readSnapshot } from '../src/model/fleet-snapshot.js';
import { applyNodeChanges, emptyFleet, type Fleet } from '../src/model/fleet-state.js';
import { applyItemChanges, type ItemMap } from '../src/model/items-state.js';
import { fleetCounts, rowCells } from '../src/model/overview.js';
import type { ServiceState } from '@sitrep/schemas';
import { fakeConnect, type FakeClient } from './fake-client.js';
import { birth, bytes, encode, service, status, T0 } from './fixtures.js';

const AS_OF = T0 + 5000;

/** web-1 online watching nginx (failed) and app (running); db-1 lost, no birth, nginx running. */
function snapshot(over: Partial<FleetSnapshot> = {}): FleetSnapshot {
  return {
    v: 1,
    ts: AS_OF,
    services: ['nginx.service', 'app.service'],
    looks: [
      { kind: 'systemd', state: 'failed', expect: 'running', exists: true, result: 'signal', signal: 'SIGKILL', exitStatus: 9 },
      { kind: 'systemd', state: 'running', expect: 'running', exists: true },
    ],
    watches: [{ kind: 'systemd', expect: 'running', actions: ['restart'] }],
    nodes: [
      { node: 'db-1', state: 'lost', session: 's1', since: T0 + 100, seen: T0 + 100, birth: null, items: [[0, 1, 3000, 60_000, 77, null, null, 0]] },
      {
        node: 'web-1',
        state: 'online',
        session: 's1',
        since: T0,
        seen: T0 + 4000,
        birth: { ts: T0, hostname: 'web-1.lan', distro: 'Debian GNU/Linux', release: '12', agent: '0.1.0', interval: 10, watched: [[0, 0], [1, 0]] },
        items: [
          [0, 0, 1000, 1000, null, null, null, 3],
          [1, 1, 2000, 90_000, 1234, 1e6, 0.5, 0],
        ],
      },
    ],
    ...over,
  };
}

function read(s: FleetSnapshot = snapshot()) {
  const r = readSnapshot(s);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

const never = () => false;

describe('reading a fleet snapshot', () => {
  it('rebuilds every service state with its own times and the node facts with the projector’s', () => {
    expect(codecs.fleetSnapshot.problem(snapshot())).toBeNull();
    const r = read();
    expect(r.ts).toBe(AS_OF);
    const nginx = r.services.find((c) => c.node === 'web-1' && c.id === 'nginx.service')!.value!;
    expect(nginx).toEqual({
      v: 1, node: 'web-1', service: 'nginx.service', ts: AS_OF - 1000, kind: 'systemd', state: 'failed', expect: 'running', exists: true,
      since: AS_OF - 1000, pid: null, memoryBytes: null, cpuPercent: null, restarts: 3, result: 'signal', signal: 'SIGKILL', exitStatus: 9,
    });
    // What the snapshot rebuilt passes the contract's own ServiceState check.
    expect(codecs.serviceState.problem(nginx)).toBeNull();
    expect(isFromSnapshot(nginx)).toBe(true);
    expect(r.nodes.get('web-1')).toEqual({
      asOf: AS_OF,
      status: { state: 'online', session: 's1', since: T0, seen: T0 + 4000 },
      birth: {
        ts: T0, hostname: 'web-1.lan', distro: 'Debian GNU/Linux', release: '12', agent: '0.1.0', interval: 10,
        watched: [
          { id: 'nginx.service', kind: 'systemd', expect: 'running', actions: ['restart'] },
          { id: 'app.service', kind: 'systemd', expect: 'running', actions: ['restart'] },
        ],
      },
    });
    expect(r.nodes.get('db-1')?.birth).toBeUndefined();
  });

  it.each([
    ['a service index out of range', { services: ['nginx.service'] }, /nodes\/1\/birth\/watched\/1: index out of range/],
    ['a look index out of range', { looks: [] }, /nodes\/0\/items\/0: index out of range/],
    ['a node twice', { nodes: [snapshot().nodes[0]!, snapshot().nodes[0]!] }, /db-1 appears twice/],
    ['an age that puts a state before 1970', { ts: 10 }, /a time before 1970/],
  ])('refuses %s with the place it is wrong', (_what, over, reason) => {
    const r = readSnapshot(snapshot(over as Partial<FleetSnapshot>));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });
});

describe('merging a snapshot under the retained state', () => {
  it('paints a node and its cells from the snapshot alone, saying where the colours come from', () => {
    const r = read();
    const fleet = applySnapshotNodes(emptyFleet(), r.nodes, never);
    const items = applySnapshotItems(new Map(), r.services, never);
    expect(fleetCounts(fleet, items, null, null)).toMatchObject({ online: 1, lost: 1, unhealthy: 1 });
    const cells = rowCells(['app.service', 'nginx.service'], fleet.get('web-1'), items.get('web-1'));
    expect(cells.map((c) => c.light)).toEqual(['healthy', 'down']);
    expect(cells[1]!.title).toBe('nginx.service: failed, expected running (from the hub snapshot)');
    // db-1 is lost: its last states read as unknown, as they would from retained state.
    expect(rowCells(['nginx.service'], fleet.get('db-1'), items.get('db-1'))[0]!.light).toBe('unknown');
  });

  it('lets a retained message newer than the snapshot win, and keeps it when the snapshot comes after', () => {
    const r = read();
    let items: ItemMap<ServiceState> = applySnapshotItems(new Map(), r.services, never);
    const retained = service({ service: 'nginx.service', state: 'running', ts: AS_OF + 1 });
    items = applyItemChanges(items, [{ node: 'web-1', id: 'nginx.service', value: retained }]);
    expect(items.get('web-1')?.get('nginx.service')).toBe(retained);
    // The same snapshot again (a second answer): the retained state is not regressed.
    const spoken = (node: string, id: string) => node === 'web-1' && id === 'nginx.service';
    const again = applySnapshotItems(items, r.services, spoken);
    expect(again.get('web-1')?.get('nginx.service')).toBe(retained);
    expect(again.get('web-1')?.get('app.service')?.ts).toBe(AS_OF - 2000);
  });

  it('never overwrites what a retained message said, even one older than the snapshot, nor brings back a deleted one', () => {
    const r = read();
    // Retained state arrived first: an older nginx state, and app deleted (an empty payload).
    const older = service({ service: 'nginx.service', state: 'running', ts: T0 - 60_000 });
    let items: ItemMap<ServiceState> = applyItemChanges(new Map(), [{ node: 'web-1', id: 'nginx.service', value: older }]);
    const spoken = (node: string, id: string) => node === 'web-1';
    items = applySnapshotItems(items, r.services, spoken);
    expect(items.get('web-1')?.get('nginx.service')).toBe(older);
    expect(items.get('web-1')?.has('app.service')).toBe(false);
    expect(items.get('db-1')?.get('nginx.service')?.pid).toBe(77);
  });

  it('replaces a state from an earlier snapshot only with a newer one', () => {
    const first = read();
    const items = applySnapshotItems(new Map(), first.services, never);
    const stale = read(snapshot({ ts: AS_OF - 10_000 }));
    expect(applySnapshotItems(items, stale.services, never).get('web-1')?.get('nginx.service')?.ts).toBe(AS_OF - 1000);
    const fresh = read(snapshot({ ts: AS_OF + 10_000 }));
    expect(applySnapshotItems(items, fresh.services, never).get('web-1')?.get('nginx.service')?.ts).toBe(AS_OF + 9000);
  });

  it('takes node status and birth from retained messages over the snapshot, deletions included', () => {
    const r = read();
    let fleet: Fleet = applySnapshotNodes(emptyFleet(), r.nodes, never);
    expect(fleetCounts(fleet, new Map(), null, null).online).toBe(1);
    // The retained status says lost: it wins over the snapshot's online.
    fleet = applyNodeChanges(fleet, [{ piece: 'status', node: 'web-1', value: status({ state: 'lost', ts: AS_OF + 1 }) }]);
    expect(fleetCounts(fleet, new Map(), null, null)).toMatchObject({ online: 0, lost: 2 });
    // A retained deletion of db-1's status removes the node; the snapshot's status does not come back.
    fleet = applyNodeChanges(fleet, [{ piece: 'status', node: 'db-1', value: undefined }]);
    expect(fleet.has('db-1')).toBe(false);
    // A snapshot after retained state fills only what no retained message spoke for.
    const spoken = (node: string, piece: string) => node === 'web-1' && piece === 'status';
    const later = applySnapshotNodes(fleet, r.nodes, spoken);
    expect(later.get('web-1')?.status?.state).toBe('lost');
    expect(later.get('db-1')?.snapshot?.status?.state).toBe('lost');
    const withBirth = applyNodeChanges(later, [{ piece: 'birth', node: 'web-1', value: birth({ host: { ...birth().host, hostname: 'retained.lan' } }) }]);
    expect(withBirth.get('web-1')?.snapshot?.birth).toBeUndefined();
  });
});

describe('the connect flow', () => {
  let clients: FakeClient[];
  let scope: EffectScope;
  let session: MqttSession;
  const projector = shallowRef<ProjectorStatus | null>(null);
  const last = () => clients.at(-1) as FakeClient;

  beforeEach(() => {
    clients = [];
    projector.value = null;
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.spyOn(console, 'info').mockImplementation(() => undefined);
    scope = effectScope();
    scope.run(() => {
      session = useMqtt({ url: 'ws://127.0.0.1:1/mqtt', prefix: 'sitrep/v1', connect: fakeConnect(clients) });
    });
  });
  afterEach(() => {
    scope.stop();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  function start(opts: { timeoutMs?: number } = {}) {
    return scope.run(() => {
      const now = (run: () => void) => run();
      const fleet = useFleet(session, now);
      const items = useItems(session, now);
      const query = useQuery(session);
      const snap = useFleetSnapshot(session, query, { fleet, items }, projector, { ...opts, afterRender: (done) => done() });
      return { fleet, items, snap };
    })!;
  }

  const retainedFilters = ['sitrep/v1/nodes/+/status', 'sitrep/v1/nodes/+/services/+'];
  const subscribed = (c: FakeClient) => c.subscribed.flat();
  const settle = () => new Promise((r) => setTimeout(r, 0));

  function answer(c: FakeClient, data: unknown, ok = true): void {
    const req = c.published.find((p) => p.topic === 'sitrep/v1/hub/query/fleetSnapshot');
    expect(req, 'the snapshot was asked for').toBeDefined();
    const { id, replyTo } = JSON.parse(req!.payload) as { id: string; replyTo: string };
    const reply = ok ? { v: 1, id, ok: true, data } : { v: 1, id, ok: false, error: { code: 'QUERY_FAILED', message: String(data) } };
    c.emit('message', replyTo, bytes(JSON.stringify(reply)));
  }

  it('asks for the snapshot before subscribing to retained state, paints it, then subscribes; retained messages win', async () => {
    const { fleet, items, snap } = start();
    session.login({ username: 'vera', password: 'pw' });
    const c = last();
    c.emit('connect');
    await settle();
    expect(snap.status.value.state).toBe('asking');
    for (const f of retainedFilters) expect(subscribed(c)).not.toContain(f);
    expect(subscribed(c)).toContain(`sitrep/v1/hub/reply/${session.clientId.value}`);

    answer(c, snapshot());
    await settle();
    expect(snap.status.value).toEqual({ state: 'applied', ts: AS_OF, nodes: 2, services: 3 });
    expect(items.services.value.get('web-1')?.get('nginx.service')?.state).toBe('failed');
    expect(fleet.nodes.value.get('web-1')?.snapshot?.status?.state).toBe('online');
    for (const f of retainedFilters) expect(subscribed(c)).toContain(f);

    c.emit('message', session.topics.service('web-1', 'nginx.service'), encode.service(service({ state: 'running', ts: AS_OF + 1 })));
    expect(items.services.value.get('web-1')?.get('nginx.service')?.state).toBe('running');
    c.emit('message', session.topics.status('web-1'), encode.status(status({ state: 'offline' })));
    expect(fleet.nodes.value.get('web-1')?.status?.state).toBe('offline');
  });

  it('falls back to the retained state when no projector answers within the timeout', async () => {
    vi.useFakeTimers();
    const { items, snap } = start({ timeoutMs: 1000 });
    projector.value = { v: 1, state: 'online', ts: T0 };
    session.login({ username: 'vera', password: 'pw' });
    const c = last();
    c.emit('connect');
    await vi.advanceTimersByTimeAsync(999);
    for (const f of retainedFilters) expect(subscribed(c)).not.toContain(f);
    await vi.advanceTimersByTimeAsync(1);
    expect(snap.status.value).toEqual({ state: 'fallback', reason: 'no answer from the projector within 1 s' });
    for (const f of retainedFilters) expect(subscribed(c)).toContain(f);
    // A late answer is not folded in: the retained state is being read already.
    answer(c, snapshot());
    await vi.advanceTimersByTimeAsync(0);
    expect(items.services.value.size).toBe(0);
  });

  it('does not wait when the projector says it is offline', async () => {
    vi.useFakeTimers();
    const { snap } = start();
    session.login({ username: 'vera', password: 'pw' });
    last().emit('connect');
    await vi.advanceTimersByTimeAsync(0);
    projector.value = { v: 1, state: 'offline', ts: T0 };
    await vi.advanceTimersByTimeAsync(0);
    expect(snap.status.value).toEqual({ state: 'fallback', reason: 'the projector is offline' });
    for (const f of retainedFilters) expect(subscribed(last())).toContain(f);
  });

  it('falls back on an error answer and on a snapshot that does not hold together', async () => {
    const { items, snap } = start();
    session.login({ username: 'vera', password: 'pw' });
    const c = last();
    c.emit('connect');
    await settle();
    answer(c, 'TOO_LARGE: the fleet snapshot is 2000000 bytes', false);
    await settle();
    expect(snap.status.value).toMatchObject({ state: 'fallback', reason: /QUERY_FAILED/ });
    for (const f of retainedFilters) expect(subscribed(c)).toContain(f);

    c.emit('connect');
    await settle();
    c.published.length = 0;
    c.emit('connect');
    await settle();
    answer(c, snapshot({ looks: [] }));
    await settle();
    expect(snap.status.value).toMatchObject({ state: 'fallback', reason: /index out of range/ });
    expect(items.services.value.size).toBe(0);
  });
});
