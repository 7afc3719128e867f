/**
 * Turns MQTT messages into committed rows, a batch in one transaction: parse the topic, decode and
 * validate the payload, check it speaks for the node its topic names, then fold it (state
 * messages through the projections' onState, events appended to the log and folded in order).
 * Whatever is rejected becomes a dead letter with the reason. Synchronous (better-sqlite3), so
 * the caller acknowledges the messages only after this returned: the PUBACK means "committed".
 *
 * A batch's events are decoded first, appended to the log together and folded as one run
 * (fold/folder.ts). A status message can derive events (NodeLost, NodeReturned) that
 * are appended and folded at once, so the events before it are appended and folded first: the log
 * keeps arrival order, which is the order a rebuild folds in.
 */
import { codecs, DEFAULT_MAX_PAYLOAD_BYTES, type DecodeResult, type Logger, type ParseResult, type Topics } from '@sitrep/schemas';
import type { Arrival, Folder } from '../fold/folder.js';
import type { AgentEvent } from '@sitrep/schemas';
import { recordDeadLetter } from '../projections/dead-letters.js';
import { appendAgentEvents } from '../projections/event-log.js';
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

export interface Received {
  topic: string;
  payload: Uint8Array;
  /** When it arrived: the fold's clock for it. */
  receivedAt: number;
  /** `topics.parse(topic)`, when the caller has parsed it already (so it is not parsed twice). */
  parsed?: ParseResult;
}

export interface Ingest {
  /** One message, received now, in its own transaction unless the caller has one open. */
  (topic: string, payload: Uint8Array): IngestOutcome;
  /** A batch, in arrival order, in one transaction unless the caller has one open; an outcome per message. */
  batch(messages: readonly Received[]): IngestOutcome[];
}

/** An event accepted but not yet appended: its outcome is known once the batch's events are. */
const PENDING: IngestOutcome = { kind: 'folded', what: 'pending', node: '' };

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

  interface Waiting {
    index: number;
    event: AgentEvent;
    receivedAt: number;
  }
  let waiting: Waiting[] = [];
  let outcomes: IngestOutcome[] = [];

  /** Append the waiting events to the log and fold them as one run. */
  function appendWaiting(): void {
    if (waiting.length === 0) return;
    const stored = appendAgentEvents(db, waiting);
    const lastSeen = new Map<string, number>();
    const arrivals: Arrival[] = [];
    for (let k = 0; k < waiting.length; k++) {
      const w = waiting[k]!;
      const e = stored[k];
      if (e === null || e === undefined) {
        outcomes[w.index] = { kind: 'duplicate' };
        continue;
      }
      const seen = lastSeen.get(e.node);
      if (seen === undefined || w.receivedAt > seen) lastSeen.set(e.node, w.receivedAt);
      arrivals.push({ e, now: w.receivedAt });
      outcomes[w.index] = { kind: 'folded', what: e.type, node: e.node };
    }
    waiting = [];
    for (const [node, at] of lastSeen) touchNode(db, node, at);
    folder.foldAll(arrivals);
  }

  function fold(topic: string, payload: Uint8Array, at: number, index: number, known: ParseResult | undefined): IngestOutcome {
    const parsed = known ?? t.parse(topic);
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
          if (tp.kind === 'status') appendWaiting();
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
        appendWaiting();
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
      case 'events': {
        // The hot path, without accept's closure: the same checks, the same reasons.
        const decoded = codecs.event.decode(payload, max);
        if (!decoded.ok || decoded.value.node !== node) return accept(decoded, node, () => PENDING);
        waiting.push({ index, event: decoded.value, receivedAt: at });
        return PENDING;
      }
      default:
        return { kind: 'dead-letter', reason: `the projector does not consume ${tp.kind} topics` };
    }
  }

  function body(messages: readonly Received[]): IngestOutcome[] {
    outcomes = new Array<IngestOutcome>(messages.length);
    waiting = [];
    messages.forEach(({ topic, payload, receivedAt, parsed }, index) => {
      const outcome = fold(topic, payload, receivedAt, index, parsed);
      if (outcome.kind === 'dead-letter') recordDeadLetter(db, topic, outcome.reason, payload, receivedAt);
      outcomes[index] = outcome;
    });
    appendWaiting();
    return outcomes;
  }
  const tx = db.transaction(body);

  function batch(messages: readonly Received[]): IngestOutcome[] {
    // Inside the caller's transaction (the consumer's batch) no savepoint of our own: a throw
    // here makes the caller roll the whole batch back anyway (consumer.ts abort), and a savepoint
    // costs a sub-journal copy of every page the batch touches.
    const result = db.inTransaction ? body(messages) : tx(messages);
    result.forEach((outcome, i) => {
      if (outcome.kind === 'dead-letter') log.warn('dead letter', { topic: messages[i]!.topic.slice(0, 200), reason: outcome.reason });
    });
    return result;
  }

  return Object.assign((topic: string, payload: Uint8Array) => batch([{ topic, payload, receivedAt: now() }])[0]!, { batch });
}

/** Fold a decoded payload, or say why not; a payload must speak for the node its topic names. */
function accept<T extends { node: string }>(decoded: DecodeResult<T>, node: string, apply: (v: T) => IngestOutcome): IngestOutcome {
  if (!decoded.ok) return { kind: 'dead-letter', reason: decoded.reason };
  if (decoded.value.node !== node) {
    return { kind: 'dead-letter', reason: `payload node ${JSON.stringify(decoded.value.node)} does not match topic node ${JSON.stringify(node)}` };
  }
  return apply(decoded.value);
}
