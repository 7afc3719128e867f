/**
 * History queries over MQTT (`hub/query/{name}`): each query names its arguments as a TypeBox
 * schema (validated, with the reason sent back) and answers from the read models. Results are
 * bounded (`limit` at most 10,000 rows) so no request can make the projector stall.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { createCodec, NODE_ID_PATTERN } from '@sitrep/schemas';
import { alertHistory, openAlerts } from '../projections/alerts.js';
import { checkHistory, currentChecks } from '../projections/checks.js';
import { commandHistory } from '../projections/commands.js';
import { listDeadLetters } from '../projections/dead-letters.js';
import { recentLogs } from '../projections/logs.js';
import { listNodes } from '../projections/nodes.js';
import { metricsHistory, MetricsQueryError } from '../projections/metrics-history.js';
import type { Db } from '../projections/projection.js';
import { samplesOf } from '../projections/samples.js';
import { listServices } from '../projections/services.js';
import { hourlyRatios, queryTransitions } from '../projections/transitions.js';
import { fleetSnapshot, SnapshotTooLarge } from './fleet-snapshot.js';

const Node = Type.String({ pattern: NODE_ID_PATTERN });
const Id = Type.String({ minLength: 1, maxLength: 255 });
const Time = Type.Integer({ minimum: 0 });
const Limit = Type.Integer({ minimum: 1, maximum: 10_000 });
const Range = { from: Type.Optional(Time), to: Type.Optional(Time), limit: Type.Optional(Limit) };

const DAY = 86_400_000;

export interface QueryDef<S extends TSchema> {
  args: S;
  run(db: Db, args: Static<S>, now: number): unknown;
}

function def<S extends TSchema>(args: S, run: (db: Db, args: Static<S>, now: number) => unknown): QueryDef<S> {
  return { args, run };
}

/** [from, to) defaulting to the last `days` days. */
function range(a: { from?: number; to?: number }, now: number, days: number): { from: number; to: number } {
  const to = a.to ?? now + 1;
  return { from: a.from ?? to - days * DAY, to };
}

export const QUERIES = {
  nodes: def(Type.Object({}), (db) => listNodes(db).map(({ birth: _birth, metrics, ...row }) => ({ ...row, metrics: metrics === null ? null : JSON.parse(metrics) }))),
  services: def(Type.Object({ node: Type.Optional(Node) }), (db, a) => listServices(db, a.node)),
  transitions: def(Type.Object({ node: Type.Optional(Node), service: Type.Optional(Id), ...Range }), (db, a, now) =>
    queryTransitions(db, { node: a.node, service: a.service, ...range(a, now, 7), limit: a.limit ?? 500 }).map((t) => ({ ...t, last_lines: JSON.parse(t.last_lines) as string[] })),
  ),
  ratios: def(Type.Object({ node: Node, service: Id, from: Type.Optional(Time), to: Type.Optional(Time) }), (db, a, now) =>
    hourlyRatios(db, { node: a.node, service: a.service, ...range(a, now, 7), now }),
  ),
  metrics: def(Type.Object({ node: Node, from: Type.Optional(Time), to: Type.Optional(Time), maxPoints: Type.Optional(Limit) }), (db, a, now) =>
    metricsHistory(db, { node: a.node, ...range(a, now, 1), maxPoints: a.maxPoints ?? 500, now }),
  ),
  samples: def(Type.Object({ node: Node, service: Id, ...Range }), (db, a, now) => samplesOf(db, { node: a.node, service: a.service, ...range(a, now, 1), limit: a.limit ?? 1000 })),
  checks: def(Type.Object({ node: Type.Optional(Node), check: Type.Optional(Id), ...Range }), (db, a, now) => ({
    current: currentChecks(db, a.node),
    history: checkHistory(db, { node: a.node, check: a.check, ...range(a, now, 7), limit: a.limit ?? 500 }),
  })),
  logs: def(Type.Object({ node: Node, source: Type.Optional(Id), beforeId: Type.Optional(Type.Integer({ minimum: 1 })), limit: Type.Optional(Limit) }), (db, a) =>
    recentLogs(db, { node: a.node, source: a.source, beforeId: a.beforeId, limit: a.limit ?? 200 }),
  ),
  alerts: def(Type.Object({ node: Type.Optional(Node), ...Range }), (db, a, now) => ({
    open: openAlerts(db),
    history: alertHistory(db, { node: a.node, ...range(a, now, 30), limit: a.limit ?? 500 }),
  })),
  commands: def(Type.Object({ node: Type.Optional(Node), ...Range }), (db, a, now) => commandHistory(db, { node: a.node, ...range(a, now, 30), limit: a.limit ?? 500 })),
  deadLetters: def(Type.Object({ limit: Type.Optional(Limit) }), (db, a) =>
    listDeadLetters(db, a.limit ?? 100).map((d) => ({ ...d, payload: d.payload.toString('utf8', 0, Math.min(d.payload.byteLength, 1024)) })),
  ),
  /** The whole fleet in one compact message, for the dashboard's first paint. */
  fleetSnapshot: def(Type.Object({}, { additionalProperties: false }), (db, _a, now) => fleetSnapshot(db, now)),
} satisfies Record<string, QueryDef<TSchema>>;

export type QueryName = keyof typeof QUERIES;

export class QueryError extends Error {
  constructor(
    readonly code: 'UNKNOWN_QUERY' | 'BAD_ARGS' | 'QUERY_FAILED' | 'TOO_LARGE',
    message: string,
  ) {
    super(message);
    this.name = 'QueryError';
  }
}

const argCodecs = new Map(Object.entries(QUERIES).map(([name, q]) => [name, createCodec(`${name} args`, q.args)]));

/** Run query `name` with raw `args`; throws QueryError with a code a client can act on. */
export function runQuery(db: Db, name: string, args: unknown, now: number): unknown {
  const q = (QUERIES as Record<string, QueryDef<TSchema>>)[name];
  const codec = argCodecs.get(name);
  if (q === undefined || codec === undefined) throw new QueryError('UNKNOWN_QUERY', `unknown query ${JSON.stringify(name)}; known: ${Object.keys(QUERIES).join(', ')}`);
  const problem = codec.problem(args ?? {});
  if (problem !== null) throw new QueryError('BAD_ARGS', problem);
  try {
    return q.run(db, (args ?? {}) as never, now);
  } catch (err) {
    if (err instanceof MetricsQueryError) throw new QueryError('BAD_ARGS', err.message);
    if (err instanceof SnapshotTooLarge) throw new QueryError('TOO_LARGE', err.message);
    throw new QueryError('QUERY_FAILED', (err as Error).message);
  }
}
