/**
 * The live stores over one session, against the fake mqtt.js client: items folded in batches,
 * commands followed to their result, queries matched to their replies with validated data, and
 * the login flow with the role from the hub.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, type EffectScope } from 'vue';
import { codecs } from '@sitrep/schemas';
import { useAuth } from '../src/composables/useAuth.js';
import { useCommands } from '../src/composables/useCommands.js';
import { useItems } from '../src/composables/useItems.js';
import { useMqtt, type MqttSession } from '../src/composables/useMqtt.js';
import { useQuery } from '../src/composables/useQuery.js';
import { fakeConnect, type FakeClient } from './fake-client.js';
import { bytes, check, encode, service, T0 } from './fixtures.js';

let clients: FakeClient[];
let scope: EffectScope;
let session: MqttSession;
const last = () => clients.at(-1) as FakeClient;

beforeEach(() => {
  clients = [];
  vi.spyOn(console, 'warn').mockImplementation(() => undefined);
  scope = effectScope();
  scope.run(() => {
    session = useMqtt({ url: 'ws://127.0.0.1:1/mqtt', prefix: 'sitrep/v1', connect: fakeConnect(clients) });
  });
});
afterEach(() => {
  scope.stop();
  vi.restoreAllMocks();
});

function connect(): FakeClient {
  session.login({ username: 'otto', password: 'pw' });
  last().emit('connect');
  return last();
}

describe('items store', () => {
  it('folds services and checks in one batch per flush and counts bad ones', () => {
    const flushes: (() => void)[] = [];
    const items = scope.run(() => useItems(session, (run) => void flushes.push(run)))!;
    const c = connect();
    c.emit('message', session.topics.service('web-1', 'nginx.service'), encode.service(service()));
    c.emit('message', session.topics.check('web-1', 'disk'), encode.check(check()));
    c.emit('message', session.topics.service('web-1', 'other.service'), encode.service(service()));
    c.emit('message', session.topics.service('web-1', 'bad.service'), bytes('{"v":1}'));
    expect(items.services.value.size).toBe(0);
    expect(flushes).toHaveLength(1);
    flushes[0]?.();
    expect(items.services.value.get('web-1')?.get('nginx.service')?.state).toBe('running');
    expect(items.checks.value.get('web-1')?.get('disk')?.status).toBe('OK');
    expect(session.invalidCount.value).toBe(2);

    c.emit('message', session.topics.service('web-1', 'nginx.service'), new Uint8Array());
    flushes[1]?.();
    expect(items.services.value.has('web-1')).toBe(false);
  });
});

describe('commands', () => {
  it('publishes a valid command and follows it to the agent result, refusals with their reason', async () => {
    const commands = scope.run(() => useCommands(session, () => T0))!;
    const c = connect();
    const sent = await commands.send('web-1', 'restart', 'worker');
    expect(sent.state).toBe('pending');
    const published = c.published.at(-1)!;
    expect(published.topic).toBe('sitrep/v1/nodes/web-1/cmd');
    const cmd = codecs.command.decode(published.payload);
    expect(cmd.ok && cmd.value).toMatchObject({ action: 'restart', target: 'worker', by: 'otto', expiresAt: T0 + 60_000 });

    const result = (outcome: 'ok' | 'refused', message: string, id = sent.id) =>
      bytes(codecs.commandResult.encode({ v: 1, node: 'web-1', id, action: 'restart', target: 'worker', outcome, message, ts: T0, durationMs: 3 }));
    c.emit('message', 'sitrep/v1/nodes/web-1/cmd/result', result('ok', 'someone else’s', 'other-id'));
    expect(commands.sent.value.get(sent.id)?.state).toBe('pending');
    c.emit('message', 'sitrep/v1/nodes/web-1/cmd/result', result('refused', 'restart is not in the allow-list'));
    expect(commands.sent.value.get(sent.id)).toMatchObject({ state: 'refused', message: 'restart is not in the allow-list' });
    // A late duplicate does not change a settled command.
    c.emit('message', 'sitrep/v1/nodes/web-1/cmd/result', result('ok', 'late'));
    expect(commands.sent.value.get(sent.id)?.state).toBe('refused');
  });

  it('says so when not connected', async () => {
    const commands = scope.run(() => useCommands(session))!;
    const sent = await commands.send('web-1', 'restart', 'worker');
    expect(sent).toMatchObject({ state: 'error', message: 'Not connected.' });
  });
});

describe('queries', () => {
  it('asks on hub/query/{name} with this client as replyTo and checks the answer', async () => {
    const query = scope.run(() => useQuery(session))!;
    const c = connect();
    expect(c.subscribed.flat()).toContain(`sitrep/v1/hub/reply/${session.clientId.value}`);
    const pending = query.ask('ratios', { node: 'web-1', service: 'worker' });
    const req = JSON.parse(c.published.at(-1)!.payload) as { id: string; replyTo: string };
    expect(c.published.at(-1)!.topic).toBe('sitrep/v1/hub/query/ratios');
    expect(req.replyTo).toBe(`sitrep/v1/hub/reply/${session.clientId.value}`);
    c.emit('message', req.replyTo, bytes(JSON.stringify({ v: 1, id: req.id, ok: true, data: { hours: [], ratio: 0.5 } })));
    expect(await pending).toEqual({ ok: true, data: { hours: [], ratio: 0.5 } });

    const bad = query.ask('ratios', { node: 'web-1', service: 'worker' });
    const req2 = JSON.parse(c.published.at(-1)!.payload) as { id: string; replyTo: string };
    c.emit('message', req2.replyTo, bytes(JSON.stringify({ v: 1, id: req2.id, ok: true, data: { hours: 'nope', ratio: null } })));
    expect(await bad).toMatchObject({ ok: false, reason: expect.stringMatching(/invalid answer: ratios answer at \/hours/) });
    expect(session.invalidCount.value).toBe(1);

    const refused = query.ask('logs', { node: 'web-1' });
    const req3 = JSON.parse(c.published.at(-1)!.payload) as { id: string; replyTo: string };
    c.emit('message', req3.replyTo, bytes(JSON.stringify({ v: 1, id: req3.id, ok: false, error: { code: 'BAD_ARGS', message: 'limit too big' } })));
    expect(await refused).toEqual({ ok: false, reason: 'BAD_ARGS: limit too big' });
  });
});

describe('auth', () => {
  const storage = () => {
    const m = new Map<string, string>();
    return { m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
  };

  it('asks for the role first, keeps the login for a reload, and restores it', async () => {
    const s = storage();
    const auth = scope.run(() => useAuth(session, s, async () => ({ ok: true, username: 'otto', role: 'operator' })))!;
    await auth.login({ username: 'otto', password: 'pw' });
    expect(auth.role.value).toBe('operator');
    expect(session.state.value).toBe('connecting');
    expect(s.m.size).toBe(1);
    auth.logout();
    expect(s.m.size).toBe(0);
    expect(auth.role.value).toBeNull();
    expect(auth.restore()).toBe(false);
  });

  it('refuses before connecting when the hub says the password is wrong', async () => {
    const s = storage();
    const auth = scope.run(() => useAuth(session, s, async () => ({ ok: false, refused: true, reason: 'Wrong username or password.' })))!;
    await auth.login({ username: 'otto', password: 'bad' });
    expect(auth.refusal.value).toBe('Wrong username or password.');
    expect(clients).toHaveLength(0);
    expect(s.m.size).toBe(0);
  });

  it('connects without actions when the role cannot be asked, and forgets a login the broker refuses', async () => {
    const s = storage();
    const auth = scope.run(() => useAuth(session, s, async () => ({ ok: false, refused: false, reason: 'HTTP 502' })))!;
    await auth.login({ username: 'otto', password: 'pw' });
    expect(auth.role.value).toBeNull();
    expect(clients).toHaveLength(1);
    expect(s.m.size).toBe(1);
    last().emit('error', Object.assign(new Error('Connection refused: Bad username or password'), { code: 4 }));
    await Promise.resolve();
    expect(s.m.size).toBe(0);
  });
});
