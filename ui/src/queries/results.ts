/**
 * Shapes of the projector's query answers (projector/src/queries/registry.ts), as TypeBox codecs:
 * the reply envelope is the contract's QueryReply, whose `data` is checked here before use.
 * Unknown extra columns are allowed so an additive projector change does not break the ui.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Alert, codecs, createCodec } from '@sitrep/schemas';

const Num = Type.Number();
const NumOrNull = Type.Union([Type.Number(), Type.Null()]);
const Str = Type.String();
const StrOrNull = Type.Union([Type.String(), Type.Null()]);

export const TransitionRow = Type.Object({
  event_id: Num,
  node: Str,
  service: Str,
  ts: Num,
  from_state: Str,
  to_state: Str,
  expect: Str,
  result: StrOrNull,
  exit_code: NumOrNull,
  signal: StrOrNull,
  last_lines: Type.Array(Str),
});
export type TransitionRow = Static<typeof TransitionRow>;

export const HourlyRatios = Type.Object({
  hours: Type.Array(Type.Object({ hour: Num, healthyMs: Num, totalMs: Num, ratio: NumOrNull, transitions: Num })),
  ratio: NumOrNull,
});
export type HourlyRatios = Static<typeof HourlyRatios>;

export const MetricsPoint = Type.Object({
  ts: Num,
  n: Num,
  cpu: Num,
  cpuMax: Num,
  mem: Num,
  memMax: Num,
  swap: NumOrNull,
  disk: NumOrNull,
  load1: Num,
  rxBytesPerSec: NumOrNull,
  txBytesPerSec: NumOrNull,
  processes: NumOrNull,
});
export type MetricsPoint = Static<typeof MetricsPoint>;
export const MetricsHistory = Type.Object({
  resolution: Type.Union([Type.Literal('raw'), Type.Literal('1m'), Type.Literal('1h')]),
  bucketMs: NumOrNull,
  points: Type.Array(MetricsPoint),
});
export type MetricsHistory = Static<typeof MetricsHistory>;

export const CheckHistoryRow = Type.Object({ event_id: Num, node: Str, check_id: Str, ts: Num, status: Str, message: Str, duration_ms: Num });
export type CheckHistoryRow = Static<typeof CheckHistoryRow>;
export const ChecksAnswer = Type.Object({
  current: Type.Array(Type.Object({ node: Str, check_id: Str, status: Str, message: Str, ts: Num })),
  history: Type.Array(CheckHistoryRow),
});
export type ChecksAnswer = Static<typeof ChecksAnswer>;

export const LogRow = Type.Object({ id: Num, node: Str, source: Str, ts: Num, text: Str, priority: NumOrNull, stream: StrOrNull });
export type LogRow = Static<typeof LogRow>;

export const AlertHistoryRow = Type.Composite([Alert, Type.Object({ closedAt: NumOrNull, closeReason: StrOrNull })]);
export type AlertHistoryRow = Static<typeof AlertHistoryRow>;
export const AlertsAnswer = Type.Object({ open: Type.Array(Alert), history: Type.Array(AlertHistoryRow) });
export type AlertsAnswer = Static<typeof AlertsAnswer>;

export const CommandAuditRow = Type.Object({
  event_id: Num,
  node: Str,
  ts: Num,
  command_id: Str,
  action: Str,
  target: Str,
  by: StrOrNull,
  outcome: Str,
  message: Str,
  duration_ms: Num,
});
export type CommandAuditRow = Static<typeof CommandAuditRow>;

export const answers = {
  transitions: createCodec('transitions answer', Type.Array(TransitionRow)),
  ratios: createCodec('ratios answer', HourlyRatios),
  metrics: createCodec('metrics answer', MetricsHistory),
  checks: createCodec('checks answer', ChecksAnswer),
  logs: createCodec('logs answer', Type.Array(LogRow)),
  alerts: createCodec('alerts answer', AlertsAnswer),
  commands: createCodec('commands answer', Type.Array(CommandAuditRow)),
  /** The contract's own schema (schemas/src/payloads/snapshot.ts), not a ui-side shape. */
  fleetSnapshot: codecs.fleetSnapshot,
} as const;

export type QueryName = keyof typeof answers;
export type Answer<N extends QueryName> = Static<(typeof answers)[N]['schema']>;
