/** MQTT clients for the bench: connect helpers, 300-byte time-stamped payloads, waiting on counts. */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { RunningServer, User } from './servers.js';

export const PAYLOAD_BYTES = 300;

const open = new Set<MqttClient>();

export async function connect(server: RunningServer, user: User, opts: IClientOptions = {}): Promise<MqttClient> {
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.port}`, {
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 30_000,
    username: user.username,
    password: user.password,
    ...opts,
  });
  open.add(client);
  client.once('close', () => open.delete(client));
  return client;
}

export async function closeAll(): Promise<void> {
  await Promise.all([...open].map((c) => c.endAsync(true).catch(() => undefined)));
  open.clear();
}

/** A payload whose first 8 bytes are the send time (performance.now(), ms): one process sends and receives. */
export function stamped(): Buffer {
  const payload = Buffer.alloc(PAYLOAD_BYTES, 0x61);
  payload.writeDoubleLE(performance.now(), 0);
  return payload;
}

export function ageMs(payload: Buffer): number {
  return performance.now() - payload.readDoubleLE(0);
}

/** Counts messages on `client` and lets the caller wait for a count, without polling. */
export class Receiver {
  count = 0;
  readonly latencies: number[] = [];
  #waiters: { n: number; resolve: () => void }[] = [];

  constructor(client: MqttClient, accept: (topic: string, payload: Buffer, retain: boolean) => boolean = () => true) {
    client.on('message', (topic, payload, packet) => {
      if (!accept(topic, payload, packet.retain)) return;
      this.count++;
      if (payload.length === PAYLOAD_BYTES) this.latencies.push(ageMs(payload));
      this.#waiters = this.#waiters.filter((w) => (this.count >= w.n ? (w.resolve(), false) : true));
    });
  }

  /** Resolves true once `n` messages arrived, false if `timeoutMs` passes first. */
  waitFor(n: number, timeoutMs: number): Promise<boolean> {
    if (this.count >= n) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        n,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.#waiters.push(waiter);
    });
  }
}

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
