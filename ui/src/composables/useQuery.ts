/**
 * History queries to the projector over MQTT: a request on `hub/query/{name}` names this tab's
 * reply topic (`hub/reply/{clientId}`); the reply is matched by id, its envelope checked with the
 * contract's QueryReply codec and its data with the codec of that query.
 */
import { getCurrentScope, onScopeDispose } from 'vue';
import { codecs, FLEET_SNAPSHOT_MAX_BYTES } from '@sitrep/schemas';
import { answers, type Answer, type QueryName } from '../queries/results.js';
import type { MqttSession } from './useMqtt.js';

export type QueryResult<T> = { ok: true; data: T } | { ok: false; reason: string };

export interface QueryClient {
  /** `timeoutMs`: how long to wait for the projector (default QUERY_TIMEOUT_MS). */
  ask<N extends QueryName>(name: N, args: Record<string, unknown>, opts?: { timeoutMs?: number }): Promise<QueryResult<Answer<N>>>;
}

export const QUERY_TIMEOUT_MS = 15_000;
/** Replies may be larger than other payloads: a fleet snapshot is one message of up to this. */
export const QUERY_REPLY_MAX_BYTES = FLEET_SNAPSHOT_MAX_BYTES;

interface Pending {
  name: QueryName;
  resolve(r: QueryResult<unknown>): void;
  timer: ReturnType<typeof setTimeout>;
}

export function useQuery(session: MqttSession): QueryClient {
  const pending = new Map<string, Pending>();
  let counter = 0;

  function settle(id: string, r: QueryResult<unknown>): void {
    const p = pending.get(id);
    if (p === undefined) return;
    pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(r);
  }

  const remove = session.addFeed({
    kinds: ['reply'],
    // A getter: the reply topic names the client id of the current login.
    get filters() {
      const id = session.clientId.value;
      return id === null ? [] : [session.topics.filter.reply(id)];
    },
    reset() {},
    receive(topic, payload) {
      if (topic.kind !== 'reply') return `the query feed does not handle ${topic.kind} topics`;
      globalThis.performance?.mark?.('sitrep:reply-received');
      const d = codecs.queryReply.decode(payload, QUERY_REPLY_MAX_BYTES);
      if (!d.ok) return d.reason;
      const reply = d.value;
      const p = pending.get(reply.id);
      if (p === undefined) return null; // a late answer to a query that timed out
      if (!reply.ok) {
        settle(reply.id, { ok: false, reason: `${reply.error.code}: ${reply.error.message}` });
        return null;
      }
      const codec = answers[p.name];
      const problem = codec.problem(reply.data);
      if (problem !== null) {
        settle(reply.id, { ok: false, reason: `invalid answer: ${problem}` });
        return `reply to ${p.name}: ${problem}`;
      }
      settle(reply.id, { ok: true, data: reply.data });
      return null;
    },
  });

  function ask<N extends QueryName>(name: N, args: Record<string, unknown>, opts: { timeoutMs?: number } = {}): Promise<QueryResult<Answer<N>>> {
    const timeoutMs = opts.timeoutMs ?? QUERY_TIMEOUT_MS;
    const client = session.clientId.value;
    if (client === null) return Promise.resolve({ ok: false, reason: 'not connected' });
    counter += 1;
    const id = `q${counter}-${Date.now().toString(36)}`;
    const request = { id, replyTo: session.topics.reply(client), args };
    const problem = codecs.queryRequest.problem(request);
    if (problem !== null) return Promise.resolve({ ok: false, reason: problem });
    return new Promise((resolve) => {
      const timer = setTimeout(() => settle(id, { ok: false, reason: `no answer from the projector within ${timeoutMs / 1000} s` }), timeoutMs);
      pending.set(id, { name, resolve: resolve as (r: QueryResult<unknown>) => void, timer });
      session.publish(session.topics.query(name), JSON.stringify(request)).catch((err: unknown) => {
        settle(id, { ok: false, reason: err instanceof Error ? err.message : String(err) });
      });
    });
  }

  if (getCurrentScope() !== undefined) {
    onScopeDispose(() => {
      remove();
      for (const id of [...pending.keys()]) settle(id, { ok: false, reason: 'closed' });
    });
  }
  return { ask };
}
