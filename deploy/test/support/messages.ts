/**
 * Records every message on a filter from the moment of subscription, so a test can wait for
 * "the first status after I stopped the unit" without racing the broker: mark, act, wait.
 */
import type { MqttClient } from 'mqtt';
import { waitFor } from '@sitrep/broker/testing';
import { topicMatches, type Decoder } from '@sitrep/schemas';

export interface Received {
  topic: string;
  payload: Buffer;
  retain: boolean;
}

export type { Decoder } from '@sitrep/schemas';

export interface Recorder {
  readonly messages: readonly Received[];
  /** The index the next message will get: pass it to `next` to see only later messages. */
  mark(): number;
  /** The first message at or after `from` on `topic` that `codec` decodes and `accept` takes. */
  next<T>(topic: string, codec: Decoder<T>, accept: (value: T) => boolean, what: string, opts?: { from?: number; timeoutMs?: number }): Promise<T>;
}

export async function recordMessages(client: MqttClient, filter: string): Promise<Recorder> {
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    if (topicMatches(filter, topic)) messages.push({ topic, payload, retain: packet.retain });
  });
  await client.subscribeAsync(filter, { qos: 1 });
  return {
    messages,
    mark: () => messages.length,
    next(topic, codec, accept, what, { from = 0, timeoutMs = 30_000 } = {}) {
      return waitFor(
        () => {
          for (const m of messages.slice(from)) {
            if (m.topic !== topic) continue;
            const decoded = codec.decode(m.payload);
            // A payload the contract refuses is a failure of the agent, not something to skip.
            if (!decoded.ok) throw new Error(`invalid payload on ${topic}: ${decoded.reason}`);
            if (accept(decoded.value)) return decoded.value;
          }
          return undefined;
        },
        what,
        timeoutMs,
        50,
      );
    },
  };
}
