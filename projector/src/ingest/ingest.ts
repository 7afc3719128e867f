/**
 * Turns one MQTT message into committed rows, in one transaction: parse the topic, decode and
 * validate the payload, check it speaks for the node its topic names, then fold it (state
 * messages through the projections' onState, events appended to the log and folded in order).
 * Whatever is rejected becomes a dead letter with the reason. Synchronous (better-sqlite3), so
 * the caller acknowledges the message only after this returned: the PUBACK means "committed".
 */
import { codecs, DEFAULT_MAX_PAYLOAD_BYTES, type DecodeResult, type Logger, type Topics } from '@sitrep/schemas';
import type { Folder } from '../fold/folder.js';
import { recordDeadLetter } from '../projections/dead-letters.js';
import { appendAgentEvent } from '../projections/event-log.js';
import { clearNodeState, foldStatus, touchNode } from '../projections/nodes.js';
import type { Db, FoldContext, Projection, StateMessage } from '../projections/projection.js';

export type IngestOutcome =
  | { kind: 'folded'; what: string; node: string }
  | { kind: 'duplicate' }
  | { kind: 'cleared'; what: string }
  | { kind: 'dead-letter'; reason: string };

export interface IngestOptions {
  db: Db;
  topics: Topics;
  log: Logger;
  folder: Folder;
  projections: readonly Projection[];
  now?: () => number;
  maxPayloadBytes?: number;
}

export type Ingest = (topic: string, payload: Uint8Array) => IngestOutcome;

/** Topic kinds the projector consumes (queries are answered elsewhere, not folded). */
export const INGESTED_KINDS = new Set(['status', 'birth', 'metrics', 'service', 'check', 'events', 'logs']);

export function createIngest(opts: IngestOptions): Ingest {
  const { db, topics: t, log, folder } = opts;
  const now = opts.now ?? Date.now;
  const max = opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES;
  const stateFolders = opts.projections.filter((p) => p.onState !== undefined);

  function state(msg: StateMessage, at: number): IngestOutcome {
    const ctx: FoldContext = { db, now: at };
    for (const p of stateFolders) p.onState!(ctx, msg, at);
    return { kind: 'folded', what: msg.kind, node: msg.node };
  }

  function fold(topic: string, payload: Uint8Array, at: number): IngestOutcome {
    const parsed = t.parse(topic);
    if (!parsed.ok) return { kind: 'dead-letter', reason: `bad topic: ${parsed.reason}` };
    const tp = parsed.topic;
    if (!INGESTED_KINDS.has(tp.kind) || !('node' in tp)) return { kind: 'dead-letter', reason: `the projector does not consume ${tp.kind} topics` };
    const node = tp.node;
    if (payload.byteLength === 0) {
      // An empty retained payload deletes state (DESIGN.md section 3); events and logs are never empty.
      switch (tp.kind) {
        case 'status':
        case 'birth':
        case 'metrics':
          clearNodeState(db, node, tp.kind);
          return { kind: 'cleared', what: tp.kind };
        case 'service':
          state({ kind: 'service', node, service: tp.service, value: null }, at);
          return { kind: 'cleared', what: 'service' };
        case 'check':
          state({ kind: 'check', node, check: tp.check, value: null }, at);
          return { kind: 'cleared', what: 'check' };
        default:
          return { kind: 'dead-letter', reason: `empty ${tp.kind} payload` };
      }
    }
    switch (tp.kind) {
      case 'status':
        return accept(codecs.status.decode(payload, max), node, (v) => {
          for (const e of foldStatus(db, v, at)) folder.fold(e, at);
          return { kind: 'folded', what: 'status', node };
        });
      case 'birth':
        return accept(codecs.birth.decode(payload, max), node, (v) => state({ kind: 'birth', node, value: v }, at));
      case 'metrics':
        return accept(codecs.metrics.decode(payload, max), node, (v) => state({ kind: 'metrics', node, value: v }, at));
      case 'service':
        return accept(codecs.serviceState.decode(payload, max), node, (v) =>
          v.service !== tp.service
            ? { kind: 'dead-letter', reason: `payload service ${JSON.stringify(v.service)} does not match topic service ${JSON.stringify(tp.service)}` }
            : state({ kind: 'service', node, service: tp.service, value: v }, at),
        );
      case 'check':
        return accept(codecs.checkResult.decode(payload, max), node, (v) =>
          v.check !== tp.check
            ? { kind: 'dead-letter', reason: `payload check ${JSON.stringify(v.check)} does not match topic check ${JSON.stringify(tp.check)}` }
            : state({ kind: 'check', node, check: tp.check, value: v }, at),
        );
      case 'logs':
        return accept(codecs.logBatch.decode(payload, max), node, (v) =>
          v.source !== tp.source
            ? { kind: 'dead-letter', reason: `payload source ${JSON.stringify(v.source)} does not match topic source ${JSON.stringify(tp.source)}` }
            : state({ kind: 'logs', node, source: tp.source, value: v }, at),
        );
      case 'events':
        return accept(codecs.event.decode(payload, max), node, (v) => {
          const stored = appendAgentEvent(db, v, at);
          if (stored === null) return { kind: 'duplicate' };
          touchNode(db, v.node, at);
          folder.fold(stored, at);
          return { kind: 'folded', what: v.type, node };
        });
      default:
        return { kind: 'dead-letter', reason: `the projector does not consume ${tp.kind} topics` };
    }
  }

  function body(topic: string, payload: Uint8Array): IngestOutcome {
    const at = now();
    const outcome = fold(topic, payload, at);
    if (outcome.kind === 'dead-letter') recordDeadLetter(db, topic, outcome.reason, payload, at);
    return outcome;
  }
  const tx = db.transaction(body);

  return (topic, payload) => {
    // Inside the caller's transaction (the consumer's batch) no savepoint of our own: a throw
    // here makes the caller roll the whole batch back anyway (consumer.ts abort), and a savepoint
    // per message costs a sub-journal copy of every page the message touches.
    const outcome = db.inTransaction ? body(topic, payload) : tx(topic, payload);
    if (outcome.kind === 'dead-letter') log.warn('dead letter', { topic: topic.slice(0, 200), reason: outcome.reason });
    return outcome;
  };
}

/** Fold a decoded payload, or say why not; a payload must speak for the node its topic names. */
function accept<T extends { node: string }>(decoded: DecodeResult<T>, node: string, apply: (v: T) => IngestOutcome): IngestOutcome {
  if (!decoded.ok) return { kind: 'dead-letter', reason: decoded.reason };
  if (decoded.value.node !== node) {
    return { kind: 'dead-letter', reason: `payload node ${JSON.stringify(decoded.value.node)} does not match topic node ${JSON.stringify(node)}` };
  }
  return apply(decoded.value);
}
