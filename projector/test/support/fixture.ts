/** A projector on `:memory:` with an injected clock: feed topics and payloads, read tables. */
import { createTopics, memoryLogger, type AgentEvent } from '@sitrep/schemas';
import { createFolder, createIngest, openDatabase, PROJECTIONS, type Db } from '../../src/index.js';

export const t = createTopics('sitrep/v1');

export function fixture(start = Date.UTC(2026, 10, 23, 10, 0, 0)) {
  const db = openDatabase(':memory:');
  let clock = start;
  const folder = createFolder(db, PROJECTIONS);
  const ingest = createIngest({ db, topics: t, log: memoryLogger('projector'), now: () => clock, folder, projections: PROJECTIONS });
  return {
    db,
    folder,
    now: () => clock,
    set: (ms: number) => (clock = ms),
    advance: (ms: number) => (clock += ms),
    send: (topic: string, value: unknown) => ingest(topic, Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))),
    event: (e: AgentEvent) => ingest(t.events(e.node), Buffer.from(JSON.stringify(e))),
    /** Messages as the consumer hands over a batch, each with its own arrival time. */
    batch: (messages: readonly { topic: string; value: unknown; at: number }[]) =>
      ingest.batch(messages.map((m) => ({ topic: m.topic, payload: Buffer.from(typeof m.value === 'string' ? m.value : JSON.stringify(m.value)), receivedAt: m.at }))),
  };
}

export type Fixture = ReturnType<typeof fixture>;

/** Every table's rows, for "same input twice changes nothing" and "rebuild equals live". */
export function dump(db: Db, tables?: readonly string[]): Record<string, unknown[]> {
  const names =
    tables ?? (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
  return Object.fromEntries(
    names.map((n) => {
      const columns = (db.prepare(`PRAGMA table_info(${n})`).all() as unknown[]).length;
      const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
      return [n, db.prepare(`SELECT * FROM ${n} ORDER BY ${order}`).all()];
    }),
  );
}

let seqs = new Map<string, number>();
export function resetSeq(): void {
  seqs = new Map();
}

/** A ServiceStateChanged event with the next seq of `node`. */
export function changed(node: string, service: string, from: string, to: string, ts: number, extra: Record<string, unknown> = {}): AgentEvent {
  const seq = (seqs.get(node) ?? 0) + 1;
  seqs.set(node, seq);
  return { v: 1, node, session: 's1', seq, ts, type: 'ServiceStateChanged', data: { service, from, to, expect: 'running', ...extra } } as AgentEvent;
}

export function started(node: string, ts: number): AgentEvent {
  const seq = (seqs.get(node) ?? 0) + 1;
  seqs.set(node, seq);
  return { v: 1, node, session: 's1', seq, ts, type: 'AgentStarted', data: { version: '1', pid: 1 } };
}

/** A ProcessGaveUp event (the supervisor stopped restarting `process`) with the next seq of `node`. */
export function gaveUp(node: string, process: string, ts: number, restarts = 5): AgentEvent {
  const seq = (seqs.get(node) ?? 0) + 1;
  seqs.set(node, seq);
  return { v: 1, node, session: 's1', seq, ts, type: 'ProcessGaveUp', data: { process, restarts, windowMs: 300_000, lastLines: ['boom'] } };
}

export const status = (node: string, state: 'online' | 'offline' | 'lost', session = 's1') => ({ v: 1, node, state, session, ts: 1 });

export function serviceState(node: string, service: string, state: string, since: number, ts: number, expect = 'running') {
  return {
    v: 1, node, service, ts, kind: 'systemd', state, expect, exists: true, since, pid: state === 'running' ? 42 : null,
    memoryBytes: null, cpuPercent: null, restarts: 0,
  };
}
