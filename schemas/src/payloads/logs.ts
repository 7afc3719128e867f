import { Type, type Static } from '@sinclair/typebox';
import { ItemId, NodeId, Timestamp, Version } from './common.js';

export const LogLine = Type.Object({
  ts: Timestamp,
  text: Type.String({ maxLength: 8192 }),
  stream: Type.Optional(Type.Union([Type.Literal('stdout'), Type.Literal('stderr'), Type.Literal('journal')])),
  priority: Type.Optional(Type.Integer({ minimum: 0, maximum: 7, description: 'syslog priority' })),
});

export const LogBatch = Type.Object(
  {
    v: Version,
    node: NodeId,
    source: ItemId,
    lines: Type.Array(LogLine, { maxItems: 1000 }),
    dropped: Type.Optional(Type.Integer({ minimum: 0, description: 'lines summarised away by rate limiting' })),
  },
  { $id: 'LogBatch', title: 'Log batch', description: 'a batch of log lines from one source (QoS 0)' },
);
export type LogBatch = Static<typeof LogBatch>;
