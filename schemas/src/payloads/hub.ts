import { Type, type Static } from '@sinclair/typebox';
import { ItemId, NodeId, Nullable, Timestamp, Version } from './common.js';

export const ProjectorStatus = Type.Object(
  {
    v: Version,
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    ts: Timestamp,
  },
  { $id: 'ProjectorStatus', title: 'Projector status', description: 'agents may hold events back while it is away' },
);
export type ProjectorStatus = Static<typeof ProjectorStatus>;

export const AlertKind = Type.Union(
  [Type.Literal('service_down'), Type.Literal('node_lost'), Type.Literal('node_stale'), Type.Literal('check_failing'), Type.Literal('process_gave_up')],
  { description: 'what the alert is about' },
);

export const Alert = Type.Object({
  id: Type.String({ maxLength: 512, description: 'stable: kind:node[:target]' }),
  kind: AlertKind,
  node: NodeId,
  target: Nullable(ItemId),
  /** When the condition began (e.g. the service went down), not when the alert opened. */
  since: Timestamp,
  openedAt: Timestamp,
  message: Type.String({ maxLength: 1024 }),
});
export type Alert = Static<typeof Alert>;

export const Alerts = Type.Object(
  { v: Version, ts: Timestamp, alerts: Type.Array(Alert, { maxItems: 100_000 }) },
  { $id: 'Alerts', title: 'Open alerts', description: 'every open alert (retained on hub/alerts)' },
);
export type Alerts = Static<typeof Alerts>;

const Count = Type.Integer({ minimum: 0 });

export const Summary = Type.Object(
  {
    v: Version,
    ts: Timestamp,
    nodes: Type.Object({ total: Count, online: Count, offline: Count, lost: Count, stale: Count }),
    services: Type.Object({ total: Count, healthy: Count, unhealthy: Count, unknown: Count }),
    alerts: Type.Object({ open: Count }),
  },
  { $id: 'Summary', title: 'Fleet summary', description: 'fleet counts (retained on hub/summary)' },
);
export type Summary = Static<typeof Summary>;

export const QueryRequest = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'echoed in the reply' }),
    replyTo: Type.String({ maxLength: 512, description: 'a hub/reply/{client} topic' }),
    args: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown())),
  },
  { $id: 'QueryRequest', title: 'Query request', description: 'a history query on hub/query/{name}' },
);
export type QueryRequest = Static<typeof QueryRequest>;

export const QueryReply = Type.Union(
  [
    Type.Object({ v: Version, id: Type.String({ maxLength: 64 }), ok: Type.Literal(true), data: Type.Unknown() }),
    Type.Object({
      v: Version,
      id: Type.String({ maxLength: 64 }),
      ok: Type.Literal(false),
      error: Type.Object({ code: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 2048 }) }),
    }),
  ],
  { $id: 'QueryReply', title: 'Query reply', description: 'the answer to a query, on its replyTo topic' },
);
export type QueryReply = Static<typeof QueryReply>;
