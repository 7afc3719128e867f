/** Where and how the ui connects: pure functions, so the choices are tested without a socket. */
import type { IClientOptions } from 'mqtt';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

// Defined with the early start, which opens the socket before the app runs.
export { brokerUrl } from '../boot/early-start.js';

/** Base delay between reconnect attempts, ms. */
export const RECONNECT_BASE_MS = 2000;

/**
 * A reconnect delay in [base, 1.5 × base). Spread so that every open dashboard does not hit a
 * restarted hub in the same instant.
 */
export function reconnectDelay(random: () => number = Math.random, base = RECONNECT_BASE_MS): number {
  return Math.round(base * (1 + random() / 2));
}

/** `ui-` plus 12 random hex digits: unique per tab, recognisable in broker logs. */
export function randomClientId(bytes: (n: number) => Uint8Array = randomBytes): string {
  return `ui-${Array.from(bytes(6), (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

export function clientOptions(creds: Credentials, clientId = randomClientId()): IClientOptions {
  return {
    // aedes speaks MQTT 3.1.1 only.
    protocolVersion: 4,
    // The ui keeps no session: every connect subscribes again and gets retained state afresh.
    clean: true,
    clientId,
    username: creds.username,
    password: creds.password,
    reconnectPeriod: reconnectDelay(),
    // A refused CONNACK is classified by the composable: fatal codes end the client, code 3
    // (server unavailable) retries like any dropped connection.
    reconnectOnConnackError: true,
    // Subscriptions are made explicitly on every connect (see useMqtt), not replayed by mqtt.js.
    resubscribe: false,
    connectTimeout: 10_000,
    keepalive: 30,
    // mqtt-packet's default fills a cache of 65,536 two-byte buffers on the first packet written,
    // which in the browser (Buffer shim) is ~50 ms plus garbage collection in front of CONNECT;
    // a packet id written without it costs one small allocation.
    writeCache: false,
  };
}
