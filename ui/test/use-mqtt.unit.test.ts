/**
 * The socket composable and the fleet feed against a fake mqtt.js client: the fake emits the
 * events mqtt.js emits, in the order it emits them, and records what the composable asks of it.
 */
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { effectScope, type EffectScope } from 'vue';
import { useFleet, type FleetStore } from '../src/composables/useFleet.js';
import { useMqtt, type MqttSession } from '../src/composables/useMqtt.js';
import { fakeConnect, FakeClient } from './fake-client.js';
import { birth, bytes, encode, metrics, status } from './fixtures.js';

const URL = 'ws://127.0.0.1:1/mqtt';
let clients: FakeClient[];
let scope: EffectScope;
let session: MqttSession;
let fleet: FleetStore;
let warn: MockInstance<typeof console.warn>;

const last = (): FakeClient => {
  const c = clients.at(-1);
  if (c === undefined) throw new Error('no client was created');
  return c;
};
function topic(kind: 'status' | 'birth' | 'metrics', node = 'web-1'): string {
  return session.topics[kind](node);
}

beforeEach(() => {
  clients = [];
  warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  scope = effectScope();
  scope.run(() => {
    session = useMqtt({
      url: URL,
      prefix: 'sitrep/v1',
      connect: fakeConnect(clients),
    });
    // Folded at once, so each assertion sees the message just emitted.
    fleet = useFleet(session, (run) => run());
  });
});

afterEach(() => {
  scope.stop();
  warn.mockRestore();
});

describe('useMqtt', () => {
  it('connects with the credentials and subscribes to the fleet filters on connect', () => {
    session.login({ username: 'ann', password: 'secret' });
    expect(session.state.value).toBe('connecting');
    expect(last().url).toBe(URL);
    expect(last().options).toMatchObject({ protocolVersion: 4, clean: true, username: 'ann', password: 'secret' });
    expect(last().subscribed).toEqual([]);

    last().emit('connect');
    expect(session.state.value).toBe('connected');
    expect(last().subscribed).toEqual([
      ['sitrep/v1/nodes/+/status', 'sitrep/v1/nodes/+/birth', 'sitrep/v1/nodes/+/metrics'],
    ]);
  });

  it('folds valid messages into the fleet and removes state on empty payloads', () => {
    session.login({ username: 'ann', password: 'pw' });
    last().emit('connect');
    last().emit('message', topic('status'), encode.status(status()));
    last().emit('message', topic('birth'), encode.birth(birth()));
    last().emit('message', topic('metrics'), encode.metrics(metrics()));
    const first = fleet.nodes.value;
    expect(first.get('web-1')?.birth?.agent.version).toBe('0.1.0');

    last().emit('message', topic('birth'), new Uint8Array());
    expect(fleet.nodes.value).not.toBe(first);
    expect(fleet.nodes.value.get('web-1')?.birth).toBeUndefined();
    expect(first.get('web-1')?.birth).toBeDefined();
    expect(session.invalidCount.value).toBe(0);
  });

  it('counts and logs invalid messages with topic and reason, and keeps going', () => {
    session.login({ username: 'ann', password: 'pw' });
    last().emit('connect');
    last().emit('message', topic('status'), bytes('not json'));
    last().emit('message', 'sitrep/v1/nodes/Bad_Node/status', encode.status(status()));
    last().emit('message', topic('status', 'db-1'), encode.status(status({ node: 'web-1' })));
    last().emit('message', 'sitrep/v1/hub/alerts', bytes('[]'));
    expect(session.invalidCount.value).toBe(4);
    expect(fleet.nodes.value.size).toBe(0);
    const lines = warn.mock.calls.map((call) => String(call[0]));
    expect(lines[0]).toMatch(/sitrep\/v1\/nodes\/web-1\/status: payload is not JSON/);
    expect(lines[1]).toMatch(/Bad_Node.*does not match/);
    expect(lines[2]).toMatch(/nodes\/db-1\/status: payload names node "web-1"/);
    expect(lines[3]).toMatch(/hub\/alerts: no feed handles alerts topics/);

    last().emit('message', topic('status'), encode.status(status()));
    expect(fleet.nodes.value.has('web-1')).toBe(true);
  });

  it('stops on bad credentials and says why', () => {
    session.login({ username: 'ann', password: 'wrong' });
    const c = last();
    c.emit('error', Object.assign(new Error('Connection refused: Bad username or password'), { code: 4 }));
    expect(session.state.value).toBe('refused');
    expect(session.error.value?.code).toBe('BAD_CREDENTIALS');
    expect(c.endedWith).toBe(true);
    // The ended client still winds down; that must not change what the user sees.
    c.emit('close');
    c.emit('offline');
    expect(session.state.value).toBe('refused');
    expect(clients).toHaveLength(1);
  });

  it('keeps retrying when the broker is only unavailable', () => {
    session.login({ username: 'ann', password: 'pw' });
    last().emit('error', Object.assign(new Error('Connection refused: Server unavailable'), { code: 3 }));
    expect(session.state.value).toBe('connecting');
    expect(session.error.value?.code).toBe('SERVER_UNAVAILABLE');
    expect(last().endedWith).toBeNull();
  });

  it('goes through disconnected and reconnecting, then starts the fleet over on reconnect', () => {
    session.login({ username: 'ann', password: 'pw' });
    const c = last();
    c.emit('connect');
    c.emit('message', topic('status'), encode.status(status()));
    c.emit('message', topic('birth'), bytes('{}'));
    expect(session.invalidCount.value).toBe(1);
    c.emit('close');
    c.emit('offline');
    expect(session.state.value).toBe('disconnected');
    expect(c.options.reconnectPeriod).toBeGreaterThanOrEqual(2000);
    expect(c.options.reconnectPeriod).toBeLessThan(3000);
    c.emit('reconnect');
    expect(session.state.value).toBe('reconnecting');
    // Node state survives the outage so the overlay has something behind it...
    expect(fleet.nodes.value.has('web-1')).toBe(true);
    c.emit('connect');
    // ...and is rebuilt from the retained messages the new subscription brings.
    expect(fleet.nodes.value.size).toBe(0);
    expect(session.invalidCount.value).toBe(0);
    expect(c.subscribed).toHaveLength(2);
    expect(session.state.value).toBe('connected');
  });

  it('reports a refused subscription', () => {
    session.login({ username: 'ann', password: 'pw' });
    last().emit('connect');
    last().subscribeCallbacks[0]?.(new Error('Subscribe error: Unspecified error'));
    expect(session.error.value?.code).toBe('SUBSCRIBE_DENIED');
  });

  it('ignores the old client after logout and ends it when the scope ends', () => {
    session.login({ username: 'ann', password: 'pw' });
    const old = last();
    old.emit('connect');
    session.logout();
    expect(session.state.value).toBe('idle');
    expect(session.user.value).toBeNull();
    expect(old.endedWith).toBe(true);
    old.emit('message', topic('status'), encode.status(status()));
    old.emit('offline');
    expect(session.state.value).toBe('idle');
    expect(fleet.nodes.value.size).toBe(0);

    session.login({ username: 'bob', password: 'pw' });
    scope.stop();
    expect(last().endedWith).toBe(true);
  });

  it('opens its socket through takeSocket (the early start\'s socket for that URL), else a new WebSocket', () => {
    const early = { url: URL, early: true } as unknown as WebSocket;
    const asked: string[] = [];
    const opened: [string, string[]][] = [];
    // No WebSocket in Node: a stand-in records what the fallback opens.
    vi.stubGlobal('WebSocket', class {
      constructor(url: string, protocols: string[]) {
        opened.push([url, protocols]);
      }
    });
    const taking = effectScope();
    try {
      let s!: MqttSession;
      const made: FakeClient[] = [];
      taking.run(() => {
        s = useMqtt({
          url: URL,
          prefix: 'sitrep/v1',
          connect: fakeConnect(made),
          // The early start gives its socket once; a reconnect (or another URL) gets a new one.
          takeSocket: (url) => (asked.push(url), asked.length === 1 ? early : null),
        });
      });
      s.login({ username: 'ann', password: 'pw' });
      const create = made.at(-1)!.options.createWebsocket!;
      expect(create(URL, ['mqtt'], made.at(-1)!.options)).toBe(early);
      expect(opened).toEqual([]);
      const fresh = create(URL, ['mqtt'], made.at(-1)!.options);
      expect(fresh).not.toBe(early);
      expect(opened).toEqual([[URL, ['mqtt']]]);
      expect(asked).toEqual([URL, URL]);
    } finally {
      taking.stop();
      vi.unstubAllGlobals();
    }
    // Without takeSocket mqtt.js opens its own (no createWebsocket given).
    session.login({ username: 'ann', password: 'pw' });
    expect(last().options.createWebsocket).toBeUndefined();
  });
});
