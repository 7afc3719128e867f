/** Retained state payloads: what is true now about a node (DESIGN.md section 3). */
import { Type, type Static } from '@sinclair/typebox';
import { Action, Bytes, Expect, ItemId, NodeId, Nullable, Percent, Session, Timestamp, Version } from './common.js';

export const NodeState = Type.Union([Type.Literal('online'), Type.Literal('offline'), Type.Literal('lost')]);

export const Status = Type.Object(
  {
    v: Version,
    node: NodeId,
    state: NodeState,
    session: Session,
    ts: Type.Integer({
      minimum: 0,
      description: 'ms since the epoch when published; for `lost` (the will) when the session started',
    }),
  },
  { $id: 'Status', title: 'Node status', description: 'online, offline (clean stop) or lost (the will fired)' },
);
export type Status = Static<typeof Status>;

export const WatchedService = Type.Object({
  id: ItemId,
  kind: Type.Union([Type.Literal('systemd'), Type.Literal('process')]),
  expect: Expect,
  actions: Type.Array(Action, { description: 'actions this agent accepts for the service' }),
});

export const WatchedCheck = Type.Object({
  id: ItemId,
  name: Type.Optional(Type.String({ maxLength: 200 })),
  schedule: Type.Optional(Type.String({ maxLength: 200 })),
  actions: Type.Array(Action),
});

export const Birth = Type.Object(
  {
    v: Version,
    node: NodeId,
    session: Session,
    ts: Timestamp,
    agent: Type.Object({ version: Type.String({ maxLength: 64 }), pid: Type.Integer({ minimum: 0 }) }),
    host: Type.Object({
      hostname: Type.String({ maxLength: 255 }),
      platform: Type.String({ maxLength: 64, description: 'os.platform(), e.g. linux' }),
      distro: Type.String({ maxLength: 128 }),
      release: Type.String({ maxLength: 128 }),
      kernel: Type.String({ maxLength: 128 }),
      arch: Type.String({ maxLength: 32 }),
      machineId: Nullable(Type.String({ maxLength: 64, description: '/etc/machine-id' })),
      bootTime: Nullable(Timestamp),
      ips: Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 }),
      mac: Nullable(Type.String({ maxLength: 32 })),
    }),
    interval: Type.Number({ exclusiveMinimum: 0, description: 'metrics interval, seconds' }),
    services: Type.Array(WatchedService, { maxItems: 4096 }),
    checks: Type.Array(WatchedCheck, { maxItems: 4096 }),
  },
  { $id: 'Birth', title: 'Node birth', description: 'inventory published on every (re)connect' },
);
export type Birth = Static<typeof Birth>;

export const Updates = Type.Object(
  {
    manager: Type.Union([Type.Literal('apt'), Type.Literal('dnf'), Type.Literal('pacman')]),
    available: Type.Integer({ minimum: 0 }),
    security: Nullable(Type.Integer({ minimum: 0, description: 'null when the manager cannot tell' })),
    rebootRequired: Nullable(Type.Boolean({ description: 'null when the OS does not say' })),
    checkedAt: Timestamp,
  },
  { description: 'pending package updates; null when no supported package manager is present' },
);

export const Disk = Type.Object({
  mount: Type.String({ maxLength: 4096 }),
  fs: Type.String({ maxLength: 64, description: 'filesystem type' }),
  size: Bytes,
  used: Bytes,
  available: Bytes,
  percent: Percent,
});

export const Metrics = Type.Object(
  {
    v: Version,
    node: NodeId,
    ts: Timestamp,
    cpu: Type.Object({
      percent: Percent,
      cores: Type.Optional(Type.Array(Percent, { maxItems: 4096 })),
    }),
    memory: Type.Object({
      total: Bytes,
      used: Bytes,
      available: Bytes,
      percent: Percent,
      swapTotal: Type.Optional(Bytes),
      swapUsed: Type.Optional(Bytes),
    }),
    disks: Type.Array(Disk, { maxItems: 1024, description: 'real mounted filesystems; the root first' }),
    load: Type.Tuple([Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 }), Type.Number({ minimum: 0 })], {
      description: 'load averages over 1, 5 and 15 minutes',
    }),
    uptime: Type.Number({ minimum: 0, description: 'seconds since boot' }),
    processes: Type.Optional(Type.Integer({ minimum: 0, description: 'number of processes (threads excluded)' })),
    network: Type.Optional(
      Type.Object({
        rxBytesPerSec: Type.Number({ minimum: 0 }),
        txBytesPerSec: Type.Number({ minimum: 0 }),
        interfaces: Type.Array(
          Type.Object({
            name: Type.String({ maxLength: 64 }),
            rxBytesPerSec: Type.Number({ minimum: 0 }),
            txBytesPerSec: Type.Number({ minimum: 0 }),
          }),
          { maxItems: 1024, description: 'physical and virtual interfaces except loopback' },
        ),
      }, { description: 'rates since the previous snapshot; absent in the first one' }),
    ),
    temperatures: Type.Optional(
      Type.Array(
        Type.Object({ sensor: Type.String({ maxLength: 128 }), celsius: Type.Number() }),
        { maxItems: 256, description: 'hardware sensors where the host has them' },
      ),
    ),
    updates: Type.Optional(Nullable(Updates)),
  },
  { $id: 'Metrics', title: 'Host metrics', description: 'latest host metrics snapshot' },
);
export type Metrics = Static<typeof Metrics>;

export const ServiceRunState = Type.Union(
  [Type.Literal('running'), Type.Literal('stopped'), Type.Literal('failed'), Type.Literal('unknown')],
  { description: 'activating and reloading count as running, deactivating as stopped' },
);

export const ServiceState = Type.Object(
  {
    v: Version,
    node: NodeId,
    service: ItemId,
    ts: Timestamp,
    kind: Type.Union([Type.Literal('systemd'), Type.Literal('process')]),
    state: ServiceRunState,
    expect: Expect,
    exists: Type.Boolean({ description: 'false when the unit or process is not known on the host' }),
    since: Nullable(Timestamp),
    pid: Nullable(Type.Integer({ minimum: 1 })),
    memoryBytes: Nullable(Bytes),
    cpuPercent: Nullable(Type.Number({ minimum: 0 })),
    restarts: Nullable(Type.Integer({ minimum: 0 })),
    activeState: Type.Optional(Type.String({ maxLength: 32 })),
    subState: Type.Optional(Type.String({ maxLength: 32 })),
    result: Type.Optional(Type.String({ maxLength: 64 })),
    exitStatus: Type.Optional(Nullable(Type.Integer({ description: 'ExecMainStatus: exit code, or signal number when killed' }))),
    signal: Type.Optional(Nullable(Type.String({ maxLength: 16, description: 'e.g. SIGKILL when the main process was killed' }))),
    description: Type.Optional(Type.String({ maxLength: 256 })),
    health: Type.Optional(
      Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy'), Type.Literal('unknown')]),
    ),
  },
  { $id: 'ServiceState', title: 'Service state', description: 'current state of one systemd unit or process' },
);
export type ServiceState = Static<typeof ServiceState>;

export const CheckStatus = Type.Union(
  [Type.Literal('OK'), Type.Literal('UPDATE'), Type.Literal('WARNING'), Type.Literal('FAILURE'), Type.Literal('ERROR')],
  { description: 'check outcome' },
);

export const CheckResult = Type.Object(
  {
    v: Version,
    node: NodeId,
    check: ItemId,
    ts: Timestamp,
    status: CheckStatus,
    message: Type.String({ maxLength: 4096 }),
    durationMs: Type.Number({ minimum: 0 }),
    exitCode: Type.Optional(Nullable(Type.Integer())),
    output: Type.Optional(Type.String({ maxLength: 70000 })),
  },
  { $id: 'CheckResult', title: 'Check result', description: 'latest result of one check' },
);
export type CheckResult = Static<typeof CheckResult>;
