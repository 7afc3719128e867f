/**
 * Every message the broker delivers on a filter, stamped with its arrival time on the host's
 * monotonic clock (`performance.now()`) the moment the client hands it over. Waiting is
 * event-driven (checked on each arrival, no polling), so a latency is arrival minus the mark.
 */
import type { MqttClient } from 'mqtt';
import { topicMatches, type Decoder } from '@sitrep/schemas';

export interface Arrival {
  topic: string;
  payload: Buffer;
  /** performance.now() when the message reached this process. */
  at: number;
}

export type { Decoder } from '@sitrep/schemas';

export interface Bus {
  readonly messages: readonly Arrival[];
  /** Index the next message gets: pass it as `from` to look only at later messages. */
  mark(): number;
  /** The first message at or after `from` on `topic` that decodes and that `accept` takes. */
  next<T>(topic: string, codec: Decoder<T>, accept: (value: T) => boolean, what: string, opts: { from: number; timeoutMs: number }): Promise<{ value: T; at: number }>;
  stop(): void;
}

export class BusTimeoutError extends Error {
  readonly code = 'BUS_TIMEOUT';
}

export async function recordBus(client: MqttClient, filter: string): Promise<Bus> {
  const messages: Arrival[] = [];
  const waiters = new Set<(m: Arrival) => void>();
  const onMessage = (topic: string, payload: Buffer) => {
    if (!topicMatches(filter, topic)) return;
    const m = { topic, payload, at: performance.now() };
    messages.push(m);
    for (const w of [...waiters]) w(m);
  };
  client.on('message', onMessage);
  await client.subscribeAsync(filter, { qos: 1 });

  return {
    messages,
    mark: () => messages.length,
    next(topic, codec, accept, what, { from, timeoutMs }) {
      return new Promise((resolve, reject) => {
        const check = (m: Arrival): boolean => {
          if (m.topic !== topic) return false;
          const d = codec.decode(m.payload);
          // A payload the contract refuses is the agent's failure, not something to skip.
          if (!d.ok) {
            finish();
            reject(new Error(`invalid payload on ${topic}: ${d.reason}`));
            return true;
          }
          if (!accept(d.value)) return false;
          finish();
          resolve({ value: d.value, at: m.at });
          return true;
        };
        const waiter = (m: Arrival) => void check(m);
        const timer = setTimeout(() => {
          finish();
          reject(new BusTimeoutError(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        for (const m of messages.slice(from)) if (check(m)) return;
        waiters.add(waiter);
      });
    },
    stop: () => void client.off('message', onMessage),
  };
}
