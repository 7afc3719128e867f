/**
 * Answers one query message: validates the request, runs it, publishes the reply on its
 * `replyTo`, which must be a `hub/reply/{client}` topic: the projector never publishes a reply
 * anywhere else. A request that cannot be answered (no valid replyTo) is a dead letter.
 */
import { codecs, type QueryReply, type Topics } from '@sitrep/schemas';
import type { Db } from '../projections/projection.js';
import { QueryError, runQuery } from './registry.js';

export type QueryOutcome = { kind: 'replied'; replyTo: string; reply: QueryReply } | { kind: 'unanswerable'; reason: string };

export function answerQuery(db: Db, t: Topics, name: string, payload: Uint8Array, now: number): QueryOutcome {
  const decoded = codecs.queryRequest.decode(payload);
  if (!decoded.ok) {
    // Reply if at least the reply address and id can be read, so the client is not left waiting.
    const partial = bestEffort(payload);
    if (partial === null || !isReplyTopic(t, partial.replyTo)) return { kind: 'unanswerable', reason: decoded.reason };
    return { kind: 'replied', replyTo: partial.replyTo, reply: { v: 1, id: partial.id, ok: false, error: { code: 'BAD_REQUEST', message: decoded.reason } } };
  }
  const req = decoded.value;
  if (!isReplyTopic(t, req.replyTo)) return { kind: 'unanswerable', reason: `replyTo ${JSON.stringify(req.replyTo.slice(0, 200))} is not a ${t.filter.reply()} topic` };
  try {
    return { kind: 'replied', replyTo: req.replyTo, reply: { v: 1, id: req.id, ok: true, data: runQuery(db, name, req.args ?? {}, now) } };
  } catch (err) {
    const code = err instanceof QueryError ? err.code : 'QUERY_FAILED';
    return { kind: 'replied', replyTo: req.replyTo, reply: { v: 1, id: req.id, ok: false, error: { code, message: (err as Error).message.slice(0, 2048) } } };
  }
}

function isReplyTopic(t: Topics, topic: string): boolean {
  const parsed = t.parse(topic);
  return parsed.ok && parsed.topic.kind === 'reply';
}

function bestEffort(payload: Uint8Array): { id: string; replyTo: string } | null {
  try {
    const raw = JSON.parse(Buffer.from(payload).toString('utf8')) as { id?: unknown; replyTo?: unknown };
    if (typeof raw.replyTo !== 'string') return null;
    return { id: typeof raw.id === 'string' ? raw.id.slice(0, 64) : '', replyTo: raw.replyTo };
  } catch {
    return null;
  }
}
