/**
 * Turns one MQTT message into committed rows, in one transaction: parse the topic, decode and
 * validate the payload, check it speaks for the node its topic names, then fold it. Whatever is
 * rejected becomes a dead letter with the reason. Synchronous (better-sqlite3), so the caller can
 * acknowledge the message right after this returns: the PUBACK means "committed".
 */
import { codecs, DEFAULT_MAX_PAYLOAD_BYTES, type DecodeResult, type Logger, type Topics } from '@sitrep/schemas';
import { recordDeadLetter } from '../projections/dead-letters.js';
import { appendAgentEvent } from '../projections/event-log.js';
import { clearNodeState, foldBirth, foldMetrics, foldStatus, touchNode } from '../projections/nodes.js';
import type { Db } from '../projections/projection.js';

export type IngestOutcome =
  | { kind: 'folded'; what: string }
  | { kind: 'duplicate' }
  | { kind: 'cleared'; what: string }
  | { kind: 'dead-letter'; reason: string };

export interface IngestOptions {
  db: Db;
  topics: Topics;
  log: Logger;
  now?: () => number;
  maxPayloadBytes?: number;
}

export type Ingest = (topic: string, payload: Uint8Array) => IngestOutcome;

export function createIngest(opts: IngestOptions): Ingest {
  const { db, topics: t, log } = opts;
  const now = opts.now ?? Date.now;
  const max = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;

  function fold(topic: string, payload: Uint8Array, at: number): IngestOutcome {
    const parsed = t.parse(topic);
    if (!parsed.ok) return { kind: 'dead-letter', reason: `bad topic: ${parsed.reason}` };
    const tp = parsed.topic;
    if (tp.kind !== 'status' && tp.kind !== 'birth' && tp.kind !== 'metrics' && tp.kind !== 'events') {
      return { kind: 'dead-letter', reason: `the projector does not consume ${tp.kind} topics` };
    }
    if (payload.byteLength === 0) {
      if (tp.kind === 'events') return { kind: 'dead-letter', reason: 'empty event payload' };
      clearNodeState(db, tp.node, tp.kind);
      return { kind: 'cleared', what: tp.kind };
    }
    const node = tp.node;
    switch (tp.kind) {
      case 'status':
        return accept(codecs.status.decode(payload, max), node, (v) => foldStatus(db, v, at), 'status');
      case 'birth':
        return accept(codecs.birth.decode(payload, max), node, (v) => foldBirth(db, v, at), 'birth');
      case 'metrics':
        return accept(codecs.metrics.decode(payload, max), node, (v) => foldMetrics(db, v, at), 'metrics');
      case 'events':
        return accept(codecs.event.decode(payload, max), node, (v) => {
          if (!appendAgentEvent(db, v, at)) return { kind: 'duplicate' };
          touchNode(db, v.node, at);
          return { kind: 'folded', what: v.type };
        }, 'event');
    }
  }

  const tx = db.transaction((topic: string, payload: Uint8Array): IngestOutcome => {
    const at = now();
    const outcome = fold(topic, payload, at);
    if (outcome.kind === 'dead-letter') recordDeadLetter(db, topic, outcome.reason, payload, at);
    return outcome;
  });

  return (topic, payload) => {
    const outcome = tx(topic, payload);
    if (outcome.kind === 'dead-letter') log.warn('dead letter', { topic: topic.slice(0, 200), reason: outcome.reason });
    return outcome;
  };
}

/** Fold a decoded payload, or say why not; a payload must speak for the node its topic names. */
function accept<T extends { node: string }>(
  decoded: DecodeResult<T>,
  node: string,
  apply: (v: T) => IngestOutcome | void,
  what: string,
): IngestOutcome {
  if (!decoded.ok) return { kind: 'dead-letter', reason: decoded.reason };
  if (decoded.value.node !== node) {
    return { kind: 'dead-letter', reason: `payload node ${JSON.stringify(decoded.value.node)} does not match topic node ${JSON.stringify(node)}` };
  }
  return apply(decoded.value) ?? { kind: 'folded', what };
}
