/**
 * Service transitions with their evidence, and hourly healthy-ratio buckets, both from
 * ServiceStateChanged events.
 *
 * `transitions` is a view over the log, not a table: a transition is exactly one logged event,
 * and the log keeps it forever, so copying it into a second table only doubled the writes of the
 * busiest event type (a row plus two index entries each, live and again in every rebuild). The
 * log's indexes answer its queries (per service by time, fleet-wide by time; event-log.ts).
 *
 * Buckets add up, per service and hour, how long the service was healthy and observed; the
 * interval still open (since the last transition) is added at query time, so folding never
 * depends on the wall clock. They and the per-service timeline are folded and rebuilt.
 */
import { insertRows } from '../db/bulk.js';
import { sql, tableExists } from '../db/statements.js';
import { historyOf, logViewDdl, type LogView } from './log-views.js';
import type { Db, LoggedEvent, Projection } from './projection.js';
import { isHealthy } from './services.js';

const HOUR = 3_600_000;
/**
 * The hourly buckets trust an agent's clock only so far: a host whose clock is years off (a dead
 * RTC battery boots in 1970, a typo sets 2090) would otherwise make one event split into hundreds
 * of thousands of hours. Time is counted up to at most a day past when the event arrived, and one
 * state's span over at most 400 days (older hours are beyond any chart). The transitions row keeps
 * the event's own ts; `receivedAt` is in the log, so a rebuild clamps exactly as live folding did.
 */
const MAX_AHEAD_MS = 86_400_000;
const MAX_SPAN_MS = 400 * 86_400_000;

/**
 * An event without `expect` (optional in the contract) keeps the service's expectation as the
 * fold had it then (the timeline's), else 'running'; the fold records those few in
 * `inherited_expect`, so the view needs no search of earlier events.
 */
export const TRANSITIONS: LogView = {
  name: 'transitions',
  type: 'ServiceStateChanged',
  subject: 'service',
  columns: `events.id AS event_id, events.node, events.subject AS service, events.ts,
    events.data ->> '$.from' AS from_state, events.data ->> '$.to' AS to_state,
    coalesce(events.data ->> '$.expect', (SELECT i.expect FROM inherited_expect AS i WHERE i.event_id = events.id), 'running') AS expect,
    events.data ->> '$.result' AS result, events.data ->> '$.exitCode' AS exit_code, events.data ->> '$.signal' AS signal,
    coalesce(events.data -> '$.lastLines', '[]') AS last_lines`,
};

/**
 * Keyed by hour first: live folding adds to the current hour of every service that changed, and
 * those rows sit together, so a commit writes a few pages instead of one per service (keyed by
 * service first, as `service_hourly` was, every batch touched every page of the table). One
 * service's hours are read by seeking each hour of the range.
 */
const HOURS_DDL = `
    CREATE TABLE IF NOT EXISTS service_hours (
      hour INTEGER NOT NULL,
      node TEXT NOT NULL,
      service TEXT NOT NULL,
      healthy_ms INTEGER NOT NULL,
      total_ms INTEGER NOT NULL,
      transitions INTEGER NOT NULL,
      PRIMARY KEY (hour, node, service)
    ) WITHOUT ROWID;`;

export const transitions: Projection = {
  name: 'transitions',
  ddl: `
    ${logViewDdl(TRANSITIONS)}
    CREATE TABLE IF NOT EXISTS inherited_expect (event_id INTEGER PRIMARY KEY, expect TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS service_timeline (
      node TEXT NOT NULL,
      service TEXT NOT NULL,
      state TEXT NOT NULL,
      expect TEXT NOT NULL,
      since INTEGER NOT NULL,
      PRIMARY KEY (node, service)
    ) WITHOUT ROWID;
    ${HOURS_DDL}
  `,
  logViews: [TRANSITIONS.name],
  rebuildTables: ['service_timeline', 'service_hours', 'inherited_expect'],
  migrate(db) {
    // Buckets of a file from before service_hours, keyed by service first: moved over as they are.
    if (!tableExists(db, 'service_hourly')) return;
    db.exec(`${HOURS_DDL}
      INSERT INTO service_hours (hour, node, service, healthy_ms, total_ms, transitions)
        SELECT hour, node, service, healthy_ms, total_ms, transitions FROM service_hourly ORDER BY hour, node, service;
      DROP TABLE service_hourly;`);
  },
  handles: ['ServiceStateChanged'],
  evolve({ db }, e) {
    foldTransitions(db, [e]);
  },
  evolveRun: foldTransitions,
  rebuildSession(db) {
    const fold = new TransitionsFold(db);
    return {
      evolveRun(events) {
        fold.run(events);
        if (fold.pendingBuckets > REBUILD_LIMITS.buckets) fold.flush('buckets');
      },
      finish: () => fold.flush(),
    };
  },
};

interface Timeline {
  state: string;
  expect: string;
  since: number;
}

/** Time added to one (service, hour) since the last flush. */
interface Bucket {
  hour: number;
  s: ServiceFold;
  healthyMs: number;
  totalMs: number;
  transitions: number;
}

/** What the fold holds for one service: its timeline, and the bucket of the hour it is in. */
interface ServiceFold {
  node: string;
  service: string;
  timeline: Timeline | undefined;
  /** The timeline changed since the last flush. */
  dirty: boolean;
  /** Its bucket not yet written for the latest hour it touched (earlier ones: the fold's `closed`). */
  open: Bucket | undefined;
  /** Its place in (node, service) order, set by each flush. */
  rank: number;
}

type Changed = { service: string; from: string; to: string; expect?: string; result?: string; exitCode?: number | null; signal?: string | null; lastLines?: string[] };

/** A map by node, then by service: no key string to build (and hash) per event. */
type ByService<T> = Map<string, Map<string, T>>;

function lookup<T>(m: ByService<T>, node: string, service: string): T | undefined {
  return m.get(node)?.get(service);
}

function put<T>(m: ByService<T>, node: string, service: string, value: T): void {
  let ofNode = m.get(node);
  if (ofNode === undefined) m.set(node, (ofNode = new Map()));
  ofNode.set(service, value);
}

/** The timelines of the services in `keys`, read in one statement. */
function readTimelines(db: Db, keys: readonly [string, string][]): ByService<Timeline> {
  const rows = sql(
    db,
    `SELECT t.node, t.service, t.state, t.expect, t.since FROM json_each(?) AS k
     JOIN service_timeline AS t ON t.node = k.value ->> 0 AND t.service = k.value ->> 1`,
  )
    .raw()
    .all(JSON.stringify(keys)) as [string, string, string, string, number][];
  const read: ByService<Timeline> = new Map();
  for (const [node, service, state, expect, since] of rows) put(read, node, service, { state, expect, since });
  return read;
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Folds ServiceStateChanged events in order: per service the timeline (state since when) and the
 * hourly buckets ([since, ts) of the previous state added to the hours it spans, the transition
 * counted in the hour of its ts), held in memory and written by `flush`, once per service and per
 * (service, hour) since the last flush. Live folding flushes every run (one transaction each);
 * a rebuild keeps one fold for the whole log, so each timeline is written once at the end and
 * each bucket about once.
 */
class TransitionsFold {
  /** Services known to this fold (timeline read from the table on first use, then kept). */
  private readonly services: ByService<ServiceFold> = new Map();
  /** The same, in the order they became known (flush sorts them). */
  private readonly known: ServiceFold[] = [];
  /** Buckets not yet written that no service has open any more. */
  private closed: Bucket[] = [];
  /** Buckets not yet written, open or closed. */
  private buckets = 0;
  /** (event id, expect) of the events that carried no `expect`, for the view. */
  private inherited: unknown[] = [];

  constructor(private readonly db: Db) {}

  get pendingBuckets(): number {
    return this.buckets;
  }

  run(events: readonly LoggedEvent[]): void {
    // Each event's service, looked up once; the services not known yet are read in one statement.
    const folds = new Array<ServiceFold | undefined>(events.length);
    let unknown: ByService<number> | undefined;
    const keys: [string, string][] = [];
    events.forEach((e, i) => {
      const service = (e.data as Changed).service;
      const s = lookup(this.services, e.node, service);
      folds[i] = s;
      if (s !== undefined) return;
      unknown ??= new Map();
      if (lookup(unknown, e.node, service) !== undefined) return;
      put(unknown, e.node, service, keys.length);
      keys.push([e.node, service]);
    });
    if (keys.length > 0) {
      const read = readTimelines(this.db, keys);
      for (const [node, service] of keys) {
        const s: ServiceFold = { node, service, timeline: lookup(read, node, service), dirty: false, open: undefined, rank: 0 };
        put(this.services, node, service, s);
        this.known.push(s);
      }
    }
    events.forEach((e, i) => this.fold(e, folds[i] ?? lookup(this.services, e.node, (e.data as Changed).service)!));
  }

  private fold(e: LoggedEvent, s: ServiceFold): void {
    const d = e.data as Changed;
    const prev = s.timeline;
    const expect = d.expect ?? prev?.expect ?? 'running';
    if (d.expect === undefined) this.inherited.push(e.id, expect);
    const at = Math.min(e.ts, e.receivedAt + MAX_AHEAD_MS);
    // Clock skew can put an event before the previous one: never count negative time.
    if (prev !== undefined && at > prev.since) {
      const healthy = isHealthy(prev.state, prev.expect);
      for (let start = Math.max(prev.since, at - MAX_SPAN_MS); start < at; ) {
        const hour = Math.floor(start / HOUR) * HOUR;
        const end = Math.min(at, hour + HOUR);
        const b = this.bucket(s, hour);
        b.healthyMs += healthy ? end - start : 0;
        b.totalMs += end - start;
        start = end;
      }
    }
    this.bucket(s, Math.floor(at / HOUR) * HOUR).transitions++;
    s.timeline = { state: d.to, expect, since: Math.max(prev?.since ?? at, at) };
    s.dirty = true;
  }

  /**
   * The bucket of `s` for `hour`: its open one (time moves forward, so nearly always), else a
   * new one, the open one set aside for the flush. A service whose clock went back may get a
   * second bucket for an hour it had: the flush adds both to the row, as two flushes would.
   */
  private bucket(s: ServiceFold, hour: number): Bucket {
    if (s.open?.hour === hour) return s.open;
    if (s.open !== undefined) this.closed.push(s.open);
    s.open = { hour, s, healthyMs: 0, totalMs: 0, transitions: 0 };
    this.buckets++;
    return s.open;
  }

  /**
   * Write the buckets (adding to what the table has) and, unless `buckets` only, the changed
   * timelines; in key order, so each B-tree is written front to back, each page once.
   */
  flush(what: 'all' | 'buckets' = 'all'): void {
    const db = this.db;
    insertRows(db, 'INSERT INTO inherited_expect (event_id, expect)', 2, this.inherited);
    this.inherited = [];
    const sorted = [...this.known].sort((a, b) => cmp(a.node, b.node) || cmp(a.service, b.service));
    // Buckets in key order (hour, node, service), so each B-tree is written front to back.
    const pending = this.closed;
    this.closed = [];
    const timelines: unknown[] = [];
    sorted.forEach((s, rank) => {
      s.rank = rank;
      if (s.open !== undefined) pending.push(s.open);
      s.open = undefined;
      if (what === 'all' && s.dirty) {
        timelines.push(s.node, s.service, s.timeline!.state, s.timeline!.expect, s.timeline!.since);
        s.dirty = false;
      }
    });
    pending.sort((a, b) => a.hour - b.hour || a.s.rank - b.s.rank);
    const hourly: unknown[] = [];
    for (const b of pending) hourly.push(b.hour, b.s.node, b.s.service, b.healthyMs, b.totalMs, b.transitions);
    this.buckets = 0;
    insertRows(
      db,
      'INSERT INTO service_hours (hour, node, service, healthy_ms, total_ms, transitions)',
      6,
      hourly,
      `ON CONFLICT (hour, node, service) DO UPDATE SET healthy_ms = healthy_ms + excluded.healthy_ms,
         total_ms = total_ms + excluded.total_ms, transitions = transitions + excluded.transitions`,
    );
    insertRows(
      db,
      'INSERT INTO service_timeline (node, service, state, expect, since)',
      5,
      timelines,
      'ON CONFLICT (node, service) DO UPDATE SET state = excluded.state, expect = excluded.expect, since = excluded.since',
    );
  }
}

/** One run, live: read what it needs, fold, write; nothing kept past the run (its transaction may roll back). */
function foldTransitions(db: Db, events: readonly LoggedEvent[]): void {
  const fold = new TransitionsFold(db);
  fold.run(events);
  fold.flush();
}

/** Buckets a rebuild's fold holds before it writes them (~100 bytes each); tests lower it. */
export const REBUILD_LIMITS = { buckets: 200_000 };

export interface TransitionRow {
  event_id: number;
  node: string;
  service: string;
  ts: number;
  from_state: string;
  to_state: string;
  expect: string;
  result: string | null;
  exit_code: number | null;
  signal: string | null;
  last_lines: string;
}

export function queryTransitions(db: Db, q: { node?: string | undefined; service?: string | undefined; from: number; to: number; limit: number }): TransitionRow[] {
  return historyOf<TransitionRow>(db, TRANSITIONS, { ...q, subject: q.service });
}

export interface HourlyRatio {
  hour: number;
  healthyMs: number;
  totalMs: number;
  ratio: number | null;
  transitions: number;
}

/** A longer range than this is read by scanning its hours for the service rather than seeking each. */
const MAX_SEEK_HOURS = 24 * 92;

type BucketRow = { hour: number; healthy_ms: number; total_ms: number; transitions: number };

/** The stored buckets of one service with hour in [from, to) (from on an hour). */
function bucketsOf(db: Db, node: string, service: string, from: number, to: number): BucketRow[] {
  const n = Math.ceil((to - from) / HOUR);
  if (n <= 0) return [];
  if (n > MAX_SEEK_HOURS) {
    return sql(db, 'SELECT hour, healthy_ms, total_ms, transitions FROM service_hours WHERE hour >= ? AND hour < ? AND node = ? AND service = ? ORDER BY hour')
      .all(from, to, node, service) as BucketRow[];
  }
  const hours = JSON.stringify(Array.from({ length: n }, (_, i) => from + i * HOUR));
  return sql(db, `SELECT hour, healthy_ms, total_ms, transitions FROM service_hours
    WHERE hour IN (SELECT value FROM json_each(?)) AND node = ? AND service = ? ORDER BY hour`).all(hours, node, service) as BucketRow[];
}

/** Hourly buckets of one service over [from, to), the open interval included up to `now`. */
export function hourlyRatios(db: Db, q: { node: string; service: string; from: number; to: number; now: number }): { hours: HourlyRatio[]; ratio: number | null } {
  const from = Math.floor(q.from / HOUR) * HOUR;
  const rows = bucketsOf(db, q.node, q.service, from, q.to);
  const byHour = new Map(rows.map((r) => [r.hour, { healthyMs: r.healthy_ms, totalMs: r.total_ms, transitions: r.transitions }]));
  const open = sql(db, 'SELECT state, expect, since FROM service_timeline WHERE node = ? AND service = ?').get(q.node, q.service) as Timeline | undefined;
  if (open !== undefined) {
    const healthy = isHealthy(open.state, open.expect);
    // The open interval over at most the span the buckets keep (a clock that said 1970 once).
    for (let start = Math.max(open.since, from, Math.min(q.now, q.to) - MAX_SPAN_MS); start < Math.min(q.now, q.to); ) {
      const hour = Math.floor(start / HOUR) * HOUR;
      const end = Math.min(q.now, q.to, hour + HOUR);
      const b = byHour.get(hour) ?? { healthyMs: 0, totalMs: 0, transitions: 0 };
      byHour.set(hour, { ...b, healthyMs: b.healthyMs + (healthy ? end - start : 0), totalMs: b.totalMs + end - start });
      start = end;
    }
  }
  const hours = [...byHour.entries()]
    .sort(([a], [b]) => a - b)
    .map(([hour, b]) => ({ hour, ...b, ratio: b.totalMs > 0 ? b.healthyMs / b.totalMs : null }));
  const healthy = hours.reduce((s, h) => s + h.healthyMs, 0);
  const total = hours.reduce((s, h) => s + h.totalMs, 0);
  return { hours, ratio: total > 0 ? healthy / total : null };
}
