/**
 * History queries to the projector over MQTT (DESIGN.md section 3): a request on `hub/query/{name}`
 * carrying `id` and `replyTo` (this client's `hub/reply/{client}`), the answer on that topic. One
 * subscription per client; replies are matched by id and validated before use.
 */
import { randomBytes } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { codecs, type QueryReply, type Topics } from '@sitrep/schemas';
import { subscribeOrFail } from './connect.js';

export class QueryFailed extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'QueryFailed';
  }
}

export interface QueryClient {
  query(name: string, args: Record<string, unknown>, timeoutMs?: number): Promise<unknown>;
  close(): void;
}

export async function createQueryClient(client: MqttClient, t: Topics, clientId: string, username: string): Promise<QueryClient> {
  const replyTo = t.reply(clientId);
  const waiting = new Map<string, (reply: QueryReply) => void>();
  const onMessage = (topic: string, payload: Buffer) => {
    if (topic !== replyTo) return;
    const d = codecs.queryReply.decode(payload);
    if (!d.ok) return; // not an answer we can read; the caller's timeout reports it
    waiting.get(d.value.id)?.(d.value);
  };
  client.on('message', onMessage);
  await subscribeOrFail(client, [replyTo], username);
  return {
    query(name, args, timeoutMs = 15_000) {
      const id = `q-${randomBytes(6).toString('hex')}`;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id);
          reject(new QueryFailed('TIMEOUT', `the projector did not answer query ${name} within ${timeoutMs / 1000} s (is the hub's projector running?)`));
        }, timeoutMs);
        waiting.set(id, (reply) => {
          clearTimeout(timer);
          waiting.delete(id);
          if (reply.ok) resolve(reply.data);
          else reject(new QueryFailed(reply.error.code, reply.error.message));
        });
        client.publish(t.query(name), JSON.stringify({ id, replyTo, args }), { qos: 1 }, (err) => {
          if (!err) return;
          clearTimeout(timer);
          waiting.delete(id);
          reject(new QueryFailed('PUBLISH_FAILED', err.message));
        });
      });
    },
    close() {
      client.off('message', onMessage);
    },
  };
}
