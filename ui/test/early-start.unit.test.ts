/**
 * index.html's early start (boot/early-start.ts): the config is asked for at once, a saved login
 * opens the MQTT socket at once, the app takes that socket once and only for its own URL, and the
 * inlined build of the module runs on its own in a page.
 */
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { compileEarlyStart, toInlineScript } from '../build/inline-early-start.js';
import { EARLY_START_KEY, LOGIN_KEY, startEarly, UI_CONFIG_URL, UNCLAIMED_MS, type EarlyStart, type EarlyWindow } from '../src/boot/early-start.js';

class FakeSocket {
  static opened: FakeSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  constructor(
    readonly url: string,
    readonly protocols: string[],
  ) {
    FakeSocket.opened.push(this);
  }
  close(): void {
    this.readyState = 3;
  }
  addEventListener(): void {}
}

function fakeWindow(opts: { login?: boolean; config?: unknown; host?: string } = {}) {
  FakeSocket.opened = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const fetched: string[] = [];
  const win: EarlyWindow = {
    fetch: (async (url: RequestInfo | URL) => {
      fetched.push(String(url));
      return new Response(JSON.stringify(opts.config ?? { prefix: 'sitrep/v1', mqttPath: '/mqtt' }));
    }) as typeof fetch,
    location: { protocol: 'http:', host: opts.host ?? 'hub.lan:8080' },
    sessionStorage: { getItem: (key: string) => (key === LOGIN_KEY && opts.login === true ? '{"username":"u","password":"p"}' : null) },
    WebSocket: FakeSocket as unknown as EarlyWindow['WebSocket'],
    setTimeout: (fn: () => void, ms: number) => timers.push({ fn, ms }),
  };
  return { win, timers, fetched };
}

describe('startEarly', () => {
  it('asks for the config and opens no socket without a saved login', async () => {
    const { win, fetched } = fakeWindow();
    const early = startEarly(win);
    expect(await early.config).toEqual({ ok: true, body: { prefix: 'sitrep/v1', mqttPath: '/mqtt' } });
    expect(fetched).toEqual([UI_CONFIG_URL]);
    expect(FakeSocket.opened).toEqual([]);
    expect(early.takeSocket('ws://hub.lan:8080/mqtt')).toBeNull();
  });

  it('hands the socket to a URL that spells out the default port, as mqtt.js does', async () => {
    const { win } = fakeWindow({ login: true, host: 'hub.lan' });
    const early = startEarly(win);
    expect(FakeSocket.opened.map((s) => s.url)).toEqual(['ws://hub.lan/mqtt']);
    await early.config;
    expect(early.takeSocket('ws://hub.lan:80/mqtt')).toBe(FakeSocket.opened[0]);
  });

  it('opens the socket at once for a saved login and hands it to the app once, for its URL only', async () => {
    const { win } = fakeWindow({ login: true });
    const early = startEarly(win);
    expect(FakeSocket.opened.map((s) => [s.url, s.protocols, s.binaryType])).toEqual([['ws://hub.lan:8080/mqtt', ['mqtt'], 'arraybuffer']]);
    await early.config;
    expect(early.takeSocket('ws://hub.lan:8080/other')).toBeNull();
    // mqtt.js spells the URL with its port; the same socket.
    expect(early.takeSocket('ws://hub.lan:8080/mqtt')).toBe(FakeSocket.opened[0]);
    expect(early.takeSocket('ws://hub.lan:8080/mqtt')).toBeNull();
  });

  it('replaces the socket when the config names another path', async () => {
    const { win } = fakeWindow({ login: true, config: { prefix: 'sitrep/v1', mqttPath: '/proxy/mqtt' } });
    const early = startEarly(win);
    await early.config;
    await Promise.resolve();
    const [first, second] = FakeSocket.opened;
    expect(first?.readyState).toBe(3);
    expect(second?.url).toBe('ws://hub.lan:8080/proxy/mqtt');
    expect(early.takeSocket('ws://hub.lan:8080/proxy/mqtt')).toBe(second);
  });

  it('closes a socket the app has not taken, and never hands out a closed one', async () => {
    const { win, timers } = fakeWindow({ login: true });
    const early = startEarly(win);
    await early.config;
    expect(timers.map((t) => t.ms)).toEqual([UNCLAIMED_MS]);
    timers[0]!.fn();
    expect(FakeSocket.opened[0]?.readyState).toBe(3);
    expect(early.takeSocket('ws://hub.lan:8080/mqtt')).toBeNull();
  });

  it('reports a config it cannot read, for the app to fall back from', async () => {
    const { win } = fakeWindow();
    win.fetch = (async () => new Response('no', { status: 500 })) as typeof fetch;
    expect(await startEarly(win).config).toEqual({ ok: false, reason: `${UI_CONFIG_URL} answered HTTP 500` });
  });
});

describe('the inlined early start', () => {
  it('runs on its own in a page and leaves the early start for the app', async () => {
    const script = await compileEarlyStart();
    const { win } = fakeWindow({ login: true });
    const page: Record<string, unknown> = { ...win, URL };
    page['window'] = page;
    runInNewContext(script, page);
    const early = page[EARLY_START_KEY] as EarlyStart;
    await early.config;
    expect(FakeSocket.opened.map((s) => s.url)).toEqual(['ws://hub.lan:8080/mqtt']);
    expect(early.takeSocket('ws://hub.lan:8080/mqtt')).toBe(FakeSocket.opened[0]);
  });

  it('refuses a module that imports something', () => {
    expect(() => toInlineScript("import { x } from './y.js';\nexport const z = x;")).toThrow(/must not import/);
  });
});
