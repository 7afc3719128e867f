/** One compiled codec per payload schema. */
import type { TObject, TSchema } from '@sinclair/typebox';
import { createCodec, parseJson, type Codec, type DecodeResult } from './codec.js';
import { Command, CommandResult } from './payloads/commands.js';
import { AGENT_EVENTS, AgentEvent } from './payloads/events.js';
import { Alerts, ProjectorStatus, QueryReply, QueryRequest, Summary } from './payloads/hub.js';
import { LogBatch } from './payloads/logs.js';
import { FleetSnapshot } from './payloads/snapshot.js';
import { Birth, CheckResult, Metrics, ServiceState, Status } from './payloads/state.js';

/**
 * Each codec is compiled on first use: TypeBox generates code per schema, and a process uses a few
 * of them (the agent decodes only commands and checks its own events), so compiling all of them
 * up front cost every process memory it never used.
 */
function lazy<T extends Record<string, () => unknown>>(makers: T): { readonly [K in keyof T]: ReturnType<T[K]> } {
  const out = {} as { [K in keyof T]: ReturnType<T[K]> };
  for (const key of Object.keys(makers) as (keyof T)[]) {
    Object.defineProperty(out, key, {
      enumerable: true,
      get() {
        const value = makers[key]!() as ReturnType<T[typeof key]>;
        Object.defineProperty(out, key, { value, enumerable: true, writable: false });
        return value;
      },
      configurable: true,
    });
  }
  return out;
}

export const codecs = lazy({
  status: () => createCodec('Status', Status),
  birth: () => createCodec('Birth', Birth),
  metrics: () => createCodec('Metrics', Metrics),
  serviceState: () => createCodec('ServiceState', ServiceState),
  checkResult: () => createCodec('CheckResult', CheckResult),
  event: () => createEventCodec(),
  command: () => createCodec('Command', Command),
  commandResult: () => createCodec('CommandResult', CommandResult),
  logBatch: () => createCodec('LogBatch', LogBatch),
  projectorStatus: () => createCodec('ProjectorStatus', ProjectorStatus),
  alerts: () => createCodec('Alerts', Alerts),
  summary: () => createCodec('Summary', Summary),
  queryRequest: () => createCodec('QueryRequest', QueryRequest),
  queryReply: () => createCodec('QueryReply', QueryReply),
  fleetSnapshot: () => createCodec('FleetSnapshot', FleetSnapshot),
});

/**
 * The event codec dispatches on `type` first, so a bad event gets the precise error of its own
 * schema ("ServiceStateChanged at /data/to: ...") rather than "expected union value".
 */
function createEventCodec(): Codec<typeof AgentEvent> {
  // Compiled per type on first use as well: an agent that emits three event types compiles three.
  const schemas = new Map(AGENT_EVENTS.map((schema) => [(schema as TObject).properties['type']!.const as string, schema]));
  const compiled = new Map<string, Codec<TSchema>>();
  const codecOf = (type: string) => {
    let codec = compiled.get(type);
    const schema = schemas.get(type);
    if (codec === undefined && schema !== undefined) compiled.set(type, (codec = createCodec(type, schema)));
    return codec;
  };
  const problem = (value: unknown): string | null => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'AgentEvent: expected an object';
    const type = (value as { type?: unknown }).type;
    if (typeof type !== 'string') return 'AgentEvent at /type: expected a string';
    const codec = codecOf(type);
    if (codec === undefined) return `AgentEvent at /type: unknown event type ${JSON.stringify(type.slice(0, 64))}`;
    return codec.problem(value);
  };
  return {
    name: 'AgentEvent',
    schema: AgentEvent,
    is: (value): value is AgentEvent => problem(value) === null,
    problem,
    decode(payload, maxBytes): DecodeResult<AgentEvent> {
      const parsed = parseJson(payload, maxBytes);
      if (!parsed.ok) return parsed;
      const why = problem(parsed.value);
      return why === null ? { ok: true, value: parsed.value as AgentEvent } : { ok: false, reason: why };
    },
    encode: (value) => JSON.stringify(value),
  };
}
