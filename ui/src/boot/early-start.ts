/**
 * The page's first network work, inlined into index.html ahead of the app's modules
 * (build/inline-early-start.ts), so it runs while the browser still downloads and compiles them
 * (~550 kB, most of a second on a busy machine): it asks for /ui-config.json and, when this tab
 * has a saved login (a reload, the tab restored), opens the MQTT WebSocket. The app takes both
 * over when it starts (main.ts, composables/useMqtt.ts). The socket carries nothing until the app
 * sends CONNECT with the credentials; one the app has not taken within UNCLAIMED_MS is closed.
 *
 * Inlined on its own: this module imports nothing, and what it shares with the app (the config
 * URL, the path rule, the login key, the socket URL) is defined here and imported by the app.
 */

export const UI_CONFIG_URL = '/ui-config.json';
export const DEFAULT_MQTT_PATH = '/mqtt';
/** An absolute path on the same origin: no scheme, no host, no query or fragment. */
const MQTT_PATH = /^\/(?!\/)[^\s?#]*$/;
/** sessionStorage key of the tab's saved login (session/stored-login.ts). */
export const LOGIN_KEY = 'sitrep.login';
/** Where the early start is left for the app: a property of `window`. */
export const EARLY_START_KEY = '__sitrepEarlyStart';
/** An early socket the app has not taken by then is closed, ms. */
export const UNCLAIMED_MS = 10_000;

/** The config's body as read, or why it could not be read. */
export type RawUiConfig = { readonly ok: true; readonly body: unknown } | { readonly ok: false; readonly reason: string };

export interface EarlyStart {
  readonly config: Promise<RawUiConfig>;
  /** The early socket when it was opened for `url` and is not closing; it is handed out once. */
  takeSocket(url: string): WebSocket | null;
}

/** Same origin as the page: `wss:` behind https, `ws:` otherwise. */
export function brokerUrl(location: Pick<Location, 'protocol' | 'host'>, mqttPath: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${mqttPath}`;
}

/** Fetch the runtime config's body; never throws. */
export async function fetchUiConfig(fetchFn: typeof fetch): Promise<RawUiConfig> {
  try {
    const res = await fetchFn(UI_CONFIG_URL, { cache: 'no-store' });
    if (!res.ok) return { ok: false, reason: `${UI_CONFIG_URL} answered HTTP ${res.status}` };
    return { ok: true, body: await res.json() };
  } catch (err) {
    return { ok: false, reason: `${UI_CONFIG_URL} unreadable: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** Whether a config's `mqttPath` is usable (the one rule, for here and for ui-config.ts). */
export function isMqttPath(value: unknown): value is string {
  return typeof value === 'string' && MQTT_PATH.test(value);
}

/** The MQTT path a config body names, or the default (the app warns about a bad one). */
export function mqttPathOf(config: RawUiConfig): string {
  const path = config.ok && typeof config.body === 'object' && config.body !== null ? (config.body as { mqttPath?: unknown }).mqttPath : undefined;
  return isMqttPath(path) ? path : DEFAULT_MQTT_PATH;
}

export interface EarlyWindow {
  fetch: typeof fetch;
  location: Pick<Location, 'protocol' | 'host'>;
  sessionStorage: Pick<Storage, 'getItem'>;
  WebSocket: new (url: string, protocols: string[]) => WebSocket;
  setTimeout(fn: () => void, ms: number): unknown;
  performance?: Pick<Performance, 'mark'>;
}

export function startEarly(win: EarlyWindow): EarlyStart {
  let socket: WebSocket | null = null;
  let socketUrl = '';
  const open = (path: string) => {
    socket?.close();
    socketUrl = brokerUrl(win.location, path);
    try {
      const s = new win.WebSocket(socketUrl, ['mqtt']);
      s.binaryType = 'arraybuffer';
      // For the bench (and devtools): when the socket opened and its first packet (CONNACK) came.
      s.addEventListener('open', () => win.performance?.mark?.('sitrep:socket-open'), { once: true });
      s.addEventListener('message', () => win.performance?.mark?.('sitrep:socket-first-message'), { once: true });
      socket = s;
    } catch {
      socket = null; // the app opens its own and reports what fails
    }
  };
  const config = fetchUiConfig((input, init) => win.fetch(input, init));
  // Only a tab with a saved login connects without asking; the login form opens its own socket.
  if (win.sessionStorage.getItem(LOGIN_KEY) !== null) {
    // At once on the default path, which is the hub's: the config's answer would otherwise wait
    // for the main thread, busy compiling the app's modules. A config naming another path (a
    // proxy in front of the hub) replaces the socket as soon as it arrives.
    open(DEFAULT_MQTT_PATH);
    void config.then((c) => {
      const path = mqttPathOf(c);
      if (path !== DEFAULT_MQTT_PATH && socket !== null) open(path);
    });
    win.setTimeout(() => {
      socket?.close();
      socket = null;
    }, UNCLAIMED_MS);
  }
  return {
    config,
    takeSocket(url) {
      const s = socket;
      if (s === null || sameUrl(url, socketUrl) === false || s.readyState > 1) return null;
      socket = null;
      return s;
    },
  };
}

/** mqtt.js spells the URL out (`ws://host:80/mqtt`); the default port is the same socket. */
function sameUrl(a: string, b: string): boolean {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

/** What index.html's inlined copy runs. */
export function startEarlyInPage(): void {
  (window as unknown as Record<string, EarlyStart>)[EARLY_START_KEY] = startEarly(window);
}

/** The page's early start, when index.html ran it. */
export function earlyStart(win: object = globalThis): EarlyStart | undefined {
  return (win as Record<string, EarlyStart | undefined>)[EARLY_START_KEY];
}
