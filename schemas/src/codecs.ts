/** One compiled codec per payload schema. */
import type { TObject } from '@sinclair/typebox';
import { createCodec, parseJson, type Codec, type DecodeResult } from './codec.js';
import { Command, CommandResult } from './payloads/commands.js';
import { AGENT_EVENTS, AgentEvent } from './payloads/events.js';
import { Alerts, ProjectorStatus, QueryReply, QueryRequest, Summary } from './payloads/hub.js';
import { LogBatch } from './payloads/logs.js';
import { Birth, CheckResult, Metrics, ServiceState, Status } from './payloads/state.js';

export const codecs = {
  status: createCodec('Status', Status),
  birth: createCodec('Birth', Birth),
  metrics: createCodec('Metrics', Metrics),
  serviceState: createCodec('ServiceState', ServiceState),
  checkResult: createCodec('CheckResult', CheckResult),
  event: createEventCodec(),
  command: createCodec('Command', Command),
  commandResult: createCodec('CommandResult', CommandResult),
  logBatch: createCodec('LogBatch', LogBatch),
  projectorStatus: createCodec('ProjectorStatus', ProjectorStatus),
  alerts: createCodec('Alerts', Alerts),
  summary: createCodec('Summary', Summary),
  queryRequest: createCodec('QueryRequest', QueryRequest),
  queryReply: createCodec('QueryReply', QueryReply),
} as const;

/**
 * The event codec dispatches on `type` first, so a bad event gets the precise error of its own
 * schema ("ServiceStateChanged at /data/to: ...") rather than "expected union value".
 */
function createEventCodec(): Codec<typeof AgentEvent> {
  const union = createCodec('AgentEvent', AgentEvent);
  const byType = new Map(
    AGENT_EVENTS.map((schema) => {
      const type = (schema as TObject).properties['type']!.const as string;
      return [type, createCodec(type, schema)] as const;
    }),
  );
  const problem = (value: unknown): string | null => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'AgentEvent: expected an object';
    const type = (value as { type?: unknown }).type;
    if (typeof type !== 'string') return 'AgentEvent at /type: expected a string';
    const codec = byType.get(type);
    if (codec === undefined) return `AgentEvent at /type: unknown event type ${JSON.stringify(type.slice(0, 64))}`;
    return codec.problem(value);
  };
  return {
    ...union,
    problem,
    decode(payload, maxBytes): DecodeResult<AgentEvent> {
      const parsed = parseJson(payload, maxBytes);
      if (!parsed.ok) return parsed;
      const why = problem(parsed.value);
      return why === null ? { ok: true, value: parsed.value as AgentEvent } : { ok: false, reason: why };
    },
  };
}
