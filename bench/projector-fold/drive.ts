/**
 * The ways the bench puts events through the projector; each stops at the end of its messages or
 * past its time budget, whichever comes first.
 * - `foldBatched`: what the MQTT consumer does (projector/src/mqtt/consumer.ts + projector.ts):
 *   `BEGIN IMMEDIATE`, parse the topics and fold the `batch` messages at once (`ingest.batch`),
 *   `COMMIT`, then read the checkpoint of every node touched (the gap tracker's `observe`);
 * - `foldEach`: the naive reference, the same handler given one message at a time with no outer
 *   transaction, so each message commits alone;
 * - `foldStream`: `foldBatched` over a generated stream, for a large log built through the ingest;
 * - `appendLog`: log rows written straight into `events` with the values `appendAgentEvents`
 *   writes, to build a large log quickly for a rebuild (no projection is folded);
 * - `ceiling`: per-message work without any fold (decode only, or decode + log append).
 */
import { codecs, createLogger, type AgentEvent, type Topics } from '@sitrep/schemas';
import { subjectOf, type Db } from '@sitrep/projector';
import type { Message } from './workload.js';

export type Api = typeof import('@sitrep/projector');

/**
 * The row appendAgentEvents writes (projector/src/projections/event-log.ts), `subject` included
 * where the version's log has that column (an older version, `--versus`, may not).
 */
function logInserter(db: Db): (e: AgentEvent, receivedAt: number) => void {
  const columns = (db.prepare('PRAGMA table_info(events)').all() as { name: string }[]).map((c) => c.name);
  if (!columns.includes('subject')) {
    const insert = db.prepare(`INSERT INTO events (node, seq, session, ts, type, data, origin, received_at) VALUES (?, ?, ?, ?, ?, ?, 'agent', ?) ON CONFLICT DO NOTHING`);
    return (e, at) => void insert.run(e.node, e.seq, e.session, e.ts, e.type, JSON.stringify(e.data), at);
  }
  const insert = db.prepare(`INSERT INTO events (node, seq, session, ts, type, data, origin, received_at, subject) VALUES (?, ?, ?, ?, ?, ?, 'agent', ?, ?) ON CONFLICT DO NOTHING`);
  return (e, at) => void insert.run(e.node, e.seq, e.session, e.ts, e.type, JSON.stringify(e.data), at, subjectOf(e.type, e.data));
}

export interface FoldRun {
  events: number;
  ms: number;
  cpuMs: number;
  /** Of cpuMs, in the kernel (file I/O: WAL writes, page reads, checkpoints). */
  sysMs: number;
  eventsPerSec: number;
  commits: number;
  outcomes: Record<string, number>;
  /** [events done, ms elapsed] after each commit (the naive run: after each 100 messages). */
  progress: [number, number][];
  /** Stopped by the time budget before the last message. */
  truncated: boolean;
}

/**
 * The projector's handler as the consumer calls it, on a clock the bench sets per message: a
 * whole batch at once through `ingest.batch` (projector.ts `handleBatch`), or message by message
 * for a projector version that has no batch ingest (`--versus` an older copy).
 */
export function projectorHandler(api: Api, db: Db, topics: Topics) {
  let clock = 0;
  // Dead letters are logged as warnings: in this bench they mean the workload is wrong, so show them.
  let shown = 0;
  const log = createLogger('projector', (line) => {
    if (!line.includes(' info ') && shown++ < 5) console.error(line);
  });
  const folder = api.createFolder(db, api.PROJECTIONS);
  const ingest = api.createIngest({ db, topics, log, folder, projections: api.PROJECTIONS, now: () => clock });
  const touched = new Set<string>();
  const outcomes: Record<string, number> = {};
  const count = (outcome: { kind: string; node?: string }, isEvents: boolean) => {
    outcomes[outcome.kind] = (outcomes[outcome.kind] ?? 0) + 1;
    if (outcome.kind === 'folded' && isEvents) touched.add(outcome.node!);
  };
  // An older projector version (--versus) has no batch ingest.
  const batch = (ingest as Partial<Pick<typeof ingest, 'batch'>>).batch;
  return {
    outcomes,
    handleBatch(messages: readonly Pick<Message, 'topic' | 'payload' | 'receivedAt'>[]): void {
      // projector.ts parses each topic first (queries are answered, not folded), then ingests,
      // handing the parsed topic over (an older version parses it again).
      const isEvents: boolean[] = [];
      // As projector.ts does, the parse result is set on the message itself (not a copy per message).
      const folded = messages.map((m) => {
        const parsed = topics.parse(m.topic);
        isEvents.push(parsed.ok && parsed.topic.kind === 'events');
        return Object.assign(m, { parsed });
      });
      if (batch !== undefined) {
        batch(folded).forEach((outcome, i) => count(outcome, isEvents[i]!));
        return;
      }
      messages.forEach((m, i) => {
        clock = m.receivedAt;
        count(ingest(m.topic, m.payload), isEvents[i]!);
      });
    },
    afterCommit(): void {
      for (const node of touched) api.checkpoint(db, node);
      touched.clear();
    },
  };
}

type Stored = Pick<Message, 'topic' | 'payload' | 'receivedAt'>;

function run(messages: readonly Stored[], budgetMs: number, step: (from: number) => number): Omit<FoldRun, 'outcomes'> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const progress: [number, number][] = [];
  let done = 0;
  let commits = 0;
  let ms = 0;
  while (done < messages.length && ms < budgetMs) {
    done = step(done);
    commits++;
    ms = performance.now() - t0;
    progress.push([done, ms]);
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    events: done,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    sysMs: cpu.system / 1000,
    eventsPerSec: done / (ms / 1000),
    commits,
    progress,
    truncated: done < messages.length,
  };
}

export function foldBatched(api: Api, db: Db, topics: Topics, messages: readonly Stored[], batch: number, budgetMs: number): FoldRun {
  const h = projectorHandler(api, db, topics);
  const r = run(messages, budgetMs, (from) => {
    const to = Math.min(messages.length, from + batch);
    db.exec('BEGIN IMMEDIATE');
    h.handleBatch(messages.slice(from, to));
    db.exec('COMMIT');
    h.afterCommit();
    return to;
  });
  return { ...r, outcomes: h.outcomes };
}

export function foldEach(api: Api, db: Db, topics: Topics, messages: readonly Stored[], budgetMs: number): FoldRun {
  const h = projectorHandler(api, db, topics);
  // Time is read once per 100 messages; each message is still its own transaction.
  const r = run(messages, budgetMs, (from) => {
    const to = Math.min(messages.length, from + 100);
    for (let i = from; i < to; i++) {
      h.handleBatch([messages[i]!]);
      h.afterCommit();
    }
    return to;
  });
  return { ...r, commits: r.events, outcomes: h.outcomes };
}

export interface AppendRun {
  events: number;
  ms: number;
  eventsPerSec: number;
  truncated: boolean;
}

/** Write the log rows only, `batch` per transaction: the setup of a large rebuild. */
export function appendLog(db: Db, messages: Iterable<Message>, total: number, batch: number, budgetMs: number): AppendRun {
  const insert = logInserter(db);
  const t0 = performance.now();
  const it = messages[Symbol.iterator]();
  let done = 0;
  let exhausted = false;
  while (!exhausted && done < total && performance.now() - t0 < budgetMs) {
    db.exec('BEGIN IMMEDIATE');
    for (let i = 0; i < batch; i++) {
      const next = it.next();
      if (next.done === true) {
        exhausted = true;
        break;
      }
      const e = next.value.event;
      insert(e, next.value.receivedAt);
      done++;
    }
    db.exec('COMMIT');
  }
  const ms = performance.now() - t0;
  return { events: done, ms, eventsPerSec: done / (ms / 1000), truncated: done < total };
}

/** Fold a generated stream through the consumer's path without keeping it in memory. */
export function foldStream(api: Api, db: Db, topics: Topics, messages: Iterable<Message>, total: number, batch: number, budgetMs: number): FoldRun {
  const h = projectorHandler(api, db, topics);
  const it = messages[Symbol.iterator]();
  const window: Stored[] = [];
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let done = 0;
  let commits = 0;
  for (;;) {
    window.length = 0;
    for (let next = it.next(); next.done !== true; next = it.next()) {
      window.push(next.value);
      if (window.length === batch) break;
    }
    if (window.length === 0 || performance.now() - t0 >= budgetMs) break;
    db.exec('BEGIN IMMEDIATE');
    h.handleBatch(window);
    db.exec('COMMIT');
    h.afterCommit();
    done += window.length;
    commits++;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return {
    events: done,
    ms,
    cpuMs: (cpu.user + cpu.system) / 1000,
    sysMs: cpu.system / 1000,
    eventsPerSec: done / (ms / 1000),
    commits,
    outcomes: h.outcomes,
    progress: [[done, ms]],
    truncated: done < total,
  };
}

export interface CeilingRun {
  events: number;
  ms: number;
  cpuMs: number;
  eventsPerSec: number;
}

/**
 * Ceilings for live folding, from the work every message needs whatever the fold does: parse the
 * topic, decode and validate the payload (`decode`), and with a database also append the log row
 * the way appendAgentEvents does (one row a statement here), in the same batches as the live run (`append`).
 */
export function ceiling(topics: Topics, messages: readonly Stored[], budgetMs: number, db?: Db, batch = 1000): CeilingRun {
  const insert = db === undefined ? undefined : logInserter(db);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let done = 0;
  while (done < messages.length && performance.now() - t0 < budgetMs) {
    const to = Math.min(messages.length, done + batch);
    db?.exec('BEGIN IMMEDIATE');
    for (let i = done; i < to; i++) {
      const m = messages[i]!;
      const parsed = topics.parse(m.topic);
      const decoded = codecs.event.decode(m.payload);
      if (!parsed.ok || !decoded.ok) throw new Error(`workload message ${i} does not decode`);
      const e = decoded.value;
      insert?.(e, m.receivedAt);
    }
    db?.exec('COMMIT');
    done = to;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { events: done, ms, cpuMs: (cpu.user + cpu.system) / 1000, eventsPerSec: done / (ms / 1000) };
}
