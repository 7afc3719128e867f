/**
 * The fleet snapshot: the projector's answer to the `fleetSnapshot` query (on `hub/reply/{client}`,
 * inside a QueryReply). One compact message with what the overview draws for every node, so the
 * dashboard can paint the whole fleet before the retained state of thousands of topics has
 * arrived. It is folded state with the times it is based on, never a substitute for the retained
 * topics: the dashboard keeps its subscriptions, and any retained message replaces what the
 * snapshot said about the same topic.
 *
 * Compact by construction: service ids, distinct service states ("looks") and distinct watch
 * entries are tables sent once; items refer to them by index, and their times are ages (ms before
 * the snapshot's `ts`) rather than 13-digit timestamps. 500 nodes x 20 services is ~0.5 MiB where
 * the retained state is ~3.8 MiB in 11,500 messages.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Action, Bytes, Expect, ItemId, NodeId, Nullable, Session, Timestamp, Version } from './common.js';
import { ServiceRunState } from './state.js';

/**
 * Largest snapshot the projector sends, bytes of the whole reply. Below the broker's default
 * packet limit (1 MiB): a publish over the limit would cost the projector its connection. A
 * larger fleet gets the error TOO_LARGE and the dashboard reads the retained state alone.
 */
export const FLEET_SNAPSHOT_MAX_BYTES = 960 * 1024;

const Index = Type.Integer({ minimum: 0, description: 'index into a table of this snapshot' });
const Age = Type.Integer({ description: "ms before the snapshot's ts (negative when the agent's clock is ahead)" });
const ServiceKind = Type.Union([Type.Literal('systemd'), Type.Literal('process')]);

export const SnapshotLook = Type.Object(
  {
    kind: ServiceKind,
    state: ServiceRunState,
    expect: Expect,
    exists: Type.Boolean(),
    result: Type.Optional(Type.String({ maxLength: 64 })),
    exitStatus: Type.Optional(Nullable(Type.Integer())),
    signal: Type.Optional(Nullable(Type.String({ maxLength: 16 }))),
    health: Type.Optional(Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy'), Type.Literal('unknown')])),
  },
  { description: 'one distinct combination of the ServiceState fields that describe a state' },
);
export type SnapshotLook = Static<typeof SnapshotLook>;

export const SnapshotWatch = Type.Object(
  { kind: ServiceKind, expect: Expect, actions: Type.Array(Action, { maxItems: 16 }) },
  { description: "one distinct entry of a birth's watched services, without its id" },
);
export type SnapshotWatch = Static<typeof SnapshotWatch>;

export const SnapshotItem = Type.Tuple(
  [
    Index,
    Index,
    Age,
    Nullable(Age),
    Nullable(Type.Integer({ minimum: 1 })),
    Nullable(Bytes),
    Nullable(Type.Number({ minimum: 0 })),
    Nullable(Type.Integer({ minimum: 0 })),
  ],
  {
    description:
      "one service's retained state as the projector folded it: [service, look, age of ts, age of since, pid, memoryBytes, cpuPercent, restarts]",
  },
);
export type SnapshotItem = Static<typeof SnapshotItem>;

export const SnapshotNode = Type.Object({
  node: NodeId,
  state: Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('lost'), Type.Literal('unknown')], {
    description: "from the node's retained status; unknown when the projector has none",
  }),
  session: Nullable(Session),
  since: Nullable(Type.Integer({ minimum: 0, description: 'when the projector received the current state (projector clock)' })),
  seen: Type.Integer({ minimum: 0, description: 'when the projector last heard of the node (projector clock)' }),
  birth: Nullable(
    Type.Object({
      ts: Timestamp,
      hostname: Type.String({ maxLength: 255 }),
      distro: Type.String({ maxLength: 128 }),
      release: Type.String({ maxLength: 128 }),
      agent: Type.String({ maxLength: 64, description: 'agent version' }),
      interval: Type.Number({ exclusiveMinimum: 0 }),
      watched: Type.Array(Type.Tuple([Index, Index]), { maxItems: 4096, description: '[service, watch] per watched service' }),
    }, { description: "from the node's retained birth" }),
  ),
  items: Type.Array(SnapshotItem, { maxItems: 4096 }),
});
export type SnapshotNode = Static<typeof SnapshotNode>;

export const FleetSnapshot = Type.Object(
  {
    v: Version,
    ts: Timestamp,
    services: Type.Array(ItemId, { maxItems: 100_000, description: 'service ids, referred to by index' }),
    looks: Type.Array(SnapshotLook, { maxItems: 100_000 }),
    watches: Type.Array(SnapshotWatch, { maxItems: 100_000 }),
    nodes: Type.Array(SnapshotNode, { maxItems: 100_000 }),
  },
  {
    $id: 'FleetSnapshot',
    title: 'Fleet snapshot',
    description:
      "the `fleetSnapshot` query's data: every node's status and birth summary and every service state the projector has folded; ts is the projector's clock when it read them, node since/seen are its receive times",
  },
);
export type FleetSnapshot = Static<typeof FleetSnapshot>;
