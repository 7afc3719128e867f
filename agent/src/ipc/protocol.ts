/**
 * The agent's local control socket: what `sitrep logs` and `sitrep process list` ask the running
 * agent on this host. Not part of the bus contract: a unix socket in the agent's state directory
 * (mode 0600, the directory 0700 under systemd), so only root and the agent's own user reach it.
 *
 * Framing: one JSON object per line. The client sends one request; the agent answers with
 * messages and closes the connection when it is done (at once for a tail, when either side
 * stops for a follow). Both sides validate every line against the schemas below.
 */
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { createCodec, ItemId, LogLine, parseJson, ServiceState, type DecodeResult } from '@sitrep/schemas';

export const SOCKET_NAME = 'agent.sock';
/** A request is small; anything longer is refused before it is parsed. */
export const MAX_REQUEST_BYTES = 4096;
/** A message holds at most 1000 lines of at most 8 KiB. */
export const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;
/** Lines a tail may ask for: the ring buffer of a supervised process holds 1000. */
export const MAX_TAIL_LINES = 1000;

export const agentSocketPath = (stateDir: string): string => join(stateDir, SOCKET_NAME);

export const LogsRequest = Type.Object(
  {
    op: Type.Literal('logs'),
    id: ItemId,
    lines: Type.Integer({ minimum: 0, maximum: MAX_TAIL_LINES }),
    follow: Type.Boolean(),
  },
  { additionalProperties: false },
);
export const ProcessesRequest = Type.Object({ op: Type.Literal('processes') }, { additionalProperties: false });
export const ControlRequest = Type.Union([LogsRequest, ProcessesRequest]);
export type ControlRequest = Static<typeof ControlRequest>;

/** BAD_REQUEST: not a valid request; UNKNOWN_ID: no such process or unit; UNAVAILABLE: the source cannot be read (the journal). */
export const CONTROL_ERROR_CODES = ['BAD_REQUEST', 'UNKNOWN_ID', 'UNAVAILABLE'] as const;
export type ControlErrorCode = (typeof CONTROL_ERROR_CODES)[number];

export const ControlMessage = Type.Union([
  Type.Object({ type: Type.Literal('lines'), lines: Type.Array(LogLine, { maxItems: MAX_TAIL_LINES }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('processes'), processes: Type.Array(ServiceState, { maxItems: 10_000 }) }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('error'),
      code: Type.Union(CONTROL_ERROR_CODES.map((c) => Type.Literal(c))),
      message: Type.String({ maxLength: 4096 }),
    },
    { additionalProperties: false },
  ),
]);
export type ControlMessage = Static<typeof ControlMessage>;

export const controlCodecs = {
  message: createCodec('ControlMessage', ControlMessage),
} as const;

const requestCodecs = { logs: createCodec('LogsRequest', LogsRequest), processes: createCodec('ProcessesRequest', ProcessesRequest) } as const;

/** One request line, checked against the schema of its `op` so that the reason is precise. */
export function decodeRequest(line: string): DecodeResult<ControlRequest> {
  const parsed = parseJson(line, MAX_REQUEST_BYTES);
  if (!parsed.ok) return parsed;
  const op = (parsed.value as { op?: unknown } | null)?.op;
  if (op !== 'logs' && op !== 'processes') return { ok: false, reason: `unknown op ${JSON.stringify(op)}; expected "logs" or "processes"` };
  const codec = requestCodecs[op];
  const problem = codec.problem(parsed.value);
  return problem === null ? { ok: true, value: parsed.value as ControlRequest } : { ok: false, reason: problem };
}
