/**
 * Event envelopes on `nodes/{node}/events` (DESIGN.md section 4). Types are past tense and the
 * TypeScript type name equals the `type` string. Agent events carry a `seq` that grows by one per
 * node across sessions; the projector's own events (NodeLost, ...) are recorded in its log only.
 */
import { Type, type Static, type TObject, type TProperties } from '@sinclair/typebox';
import { Expect, ItemId, NodeId, Nullable, Session, Timestamp, Version } from './common.js';
import { CheckStatus, ServiceRunState } from './state.js';

function event<T extends string, P extends TProperties>(type: T, data: P, description: string) {
  return Type.Object(
    {
      v: Version,
      node: NodeId,
      session: Session,
      seq: Type.Integer({ minimum: 1, description: 'per node, +1 per event, survives restarts' }),
      ts: Timestamp,
      type: Type.Literal(type),
      data: Type.Object(data),
    },
    { $id: type, title: type, description },
  );
}

const LastLines = Type.Array(Type.String({ maxLength: 4096 }), {
  maxItems: 200,
  description: 'last log lines of the service, oldest first',
});

export const AgentStarted = event(
  'AgentStarted',
  { version: Type.String({ maxLength: 64 }), pid: Type.Integer({ minimum: 0 }) },
  'the agent process started (first event of every agent process)',
);
export type AgentStarted = Static<typeof AgentStarted>;

export const ServiceStateChanged = event(
  'ServiceStateChanged',
  {
    service: ItemId,
    from: ServiceRunState,
    to: ServiceRunState,
    expect: Type.Optional(Expect),
    result: Type.Optional(Type.String({ maxLength: 64 })),
    exitCode: Type.Optional(Nullable(Type.Integer())),
    signal: Type.Optional(Nullable(Type.String({ maxLength: 16 }))),
    lastLines: Type.Optional(LastLines),
  },
  'a watched service changed state, with the evidence',
);
export type ServiceStateChanged = Static<typeof ServiceStateChanged>;

export const CheckCompleted = event(
  'CheckCompleted',
  {
    check: ItemId,
    status: CheckStatus,
    message: Type.String({ maxLength: 4096 }),
    durationMs: Type.Number({ minimum: 0 }),
  },
  'a scheduled check or probe finished',
);
export type CheckCompleted = Static<typeof CheckCompleted>;

export const CommandOutcome = Type.Union(
  [Type.Literal('ok'), Type.Literal('failed'), Type.Literal('refused'), Type.Literal('expired')],
  { description: 'ok: done; failed: tried and failed; refused: not allowed or invalid; expired: too late' },
);

export const CommandCompleted = event(
  'CommandCompleted',
  {
    id: Type.String({ minLength: 1, maxLength: 64 }),
    action: Type.String({ maxLength: 32, description: 'as received; may be an unknown action that was refused' }),
    target: Type.String({ maxLength: 255 }),
    by: Type.Optional(Type.String({ maxLength: 128 })),
    outcome: CommandOutcome,
    message: Type.String({ maxLength: 4096 }),
    durationMs: Type.Number({ minimum: 0 }),
  },
  'a command was answered (accepted or refused); the audit trail',
);
export type CommandCompleted = Static<typeof CommandCompleted>;

export const EventsDropped = event(
  'EventsDropped',
  {
    count: Type.Integer({ minimum: 1 }),
    reason: Type.String({ maxLength: 1024 }),
    fromSeq: Type.Optional(Type.Integer({ minimum: 1 })),
    toSeq: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  'the agent had to drop events (spool overflow); never silent',
);
export type EventsDropped = Static<typeof EventsDropped>;

export const ProcessExited = event(
  'ProcessExited',
  {
    process: ItemId,
    exitCode: Nullable(Type.Integer()),
    signal: Nullable(Type.String({ maxLength: 16 })),
    /** Whether the restart policy brings it back, and after how long. */
    willRestart: Type.Boolean(),
    restartInMs: Type.Optional(Type.Number({ minimum: 0 })),
    lastLines: Type.Optional(LastLines),
  },
  'a supervised process exited (crash or stop)',
);
export type ProcessExited = Static<typeof ProcessExited>;

export const ProcessRestarted = event(
  'ProcessRestarted',
  { process: ItemId, attempt: Type.Integer({ minimum: 1 }), pid: Type.Integer({ minimum: 1 }) },
  'the supervisor started a process again after it exited',
);
export type ProcessRestarted = Static<typeof ProcessRestarted>;

export const ProcessGaveUp = event(
  'ProcessGaveUp',
  {
    process: ItemId,
    restarts: Type.Integer({ minimum: 0 }),
    windowMs: Type.Number({ minimum: 0 }),
    lastLines: Type.Optional(LastLines),
  },
  'the supervisor stopped restarting a process: too many restarts in the window',
);
export type ProcessGaveUp = Static<typeof ProcessGaveUp>;

export const HealthCheckFailed = event(
  'HealthCheckFailed',
  { service: ItemId, consecutiveFailures: Type.Integer({ minimum: 1 }), message: Type.String({ maxLength: 4096 }) },
  'a health check failed often enough in a row for the service to count as unhealthy',
);
export type HealthCheckFailed = Static<typeof HealthCheckFailed>;

export const HealthCheckRecovered = event(
  'HealthCheckRecovered',
  { service: ItemId, message: Type.String({ maxLength: 4096 }) },
  'an unhealthy service passed its health check again',
);
export type HealthCheckRecovered = Static<typeof HealthCheckRecovered>;

/** Every event an agent may publish. */
export const AGENT_EVENTS = [
  AgentStarted, ServiceStateChanged, CheckCompleted, CommandCompleted, EventsDropped,
  ProcessExited, ProcessRestarted, ProcessGaveUp, HealthCheckFailed, HealthCheckRecovered,
] as const;
export const AgentEvent = Type.Union([...AGENT_EVENTS], {
  $id: 'AgentEvent',
  title: 'Agent event',
  description: 'event envelope on nodes/{node}/events, discriminated by `type`',
});
export type AgentEvent = Static<typeof AgentEvent>;
export type AgentEventType = AgentEvent['type'];
export const AGENT_EVENT_TYPES: readonly AgentEventType[] = AGENT_EVENTS.map(
  (e) => (e as TObject).properties['type']!.const as AgentEventType,
);

/** Events the projector derives itself and appends to its log (never published by agents). */
export const NodeLost = Type.Object(
  { node: NodeId, session: Session, ts: Timestamp, type: Type.Literal('NodeLost'), data: Type.Object({}) },
  { $id: 'NodeLost', title: 'NodeLost', description: 'the broker fired the node will: connection lost' },
);
export const NodeReturned = Type.Object(
  {
    node: NodeId,
    session: Session,
    ts: Timestamp,
    type: Type.Literal('NodeReturned'),
    data: Type.Object({ lostSession: Session, lostForMs: Type.Number({ minimum: 0 }) }),
  },
  { $id: 'NodeReturned', title: 'NodeReturned', description: 'a lost node came back online' },
);
export type NodeLost = Static<typeof NodeLost>;
export type NodeReturned = Static<typeof NodeReturned>;

