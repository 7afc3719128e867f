/**
 * The topic catalog: every topic of the contract with its rules and payload schema. It feeds the
 * generated topic reference (docs/contract/topics.md) and tests that keep code and docs in step.
 */
import type { TSchema } from '@sinclair/typebox';
import { Command, CommandResult } from './payloads/commands.js';
import { AgentEvent } from './payloads/events.js';
import { Alerts, ProjectorStatus, QueryReply, QueryRequest, Summary } from './payloads/hub.js';
import { LogBatch } from './payloads/logs.js';
import { Birth, CheckResult, Metrics, ServiceState, Status } from './payloads/state.js';
import type { Topics, TopicKind } from './topics.js';

export interface TopicSpec {
  kind: TopicKind;
  /** Builds the subscription filter matching every topic of this kind. */
  filter: (t: Topics) => string;
  /** Names of the `+` levels of the filter, in order, for the pattern shown in docs. */
  params: string[];
  retained: boolean;
  qos: 0 | 1;
  publisher: string;
  schema: TSchema | null;
  description: string;
}

export const TOPIC_CATALOG: readonly TopicSpec[] = [
  { kind: 'status', filter: (t) => t.filter.status(), params: ['node'], retained: true, qos: 1, publisher: 'agent; broker (will)', schema: Status, description: '`online` / `offline` (clean stop) / `lost` (will), with session and time' },
  { kind: 'birth', filter: (t) => t.filter.birth(), params: ['node'], retained: true, qos: 1, publisher: 'agent', schema: Birth, description: 'inventory: host and OS info, agent version, session, watched services and checks with expected state and allowed actions' },
  { kind: 'metrics', filter: (t) => t.filter.metrics(), params: ['node'], retained: true, qos: 1, publisher: 'agent', schema: Metrics, description: 'latest host metrics snapshot' },
  { kind: 'service', filter: (t) => t.filter.services(), params: ['node', 'service'], retained: true, qos: 1, publisher: 'agent', schema: ServiceState, description: 'current service state; an empty retained payload removes it' },
  { kind: 'check', filter: (t) => t.filter.checks(), params: ['node', 'check'], retained: true, qos: 1, publisher: 'agent', schema: CheckResult, description: 'latest check result; an empty retained payload removes it' },
  { kind: 'events', filter: (t) => t.filter.events(), params: ['node'], retained: false, qos: 1, publisher: 'agent', schema: AgentEvent, description: 'event envelopes, the source of truth for history; idempotent on (node, seq)' },
  { kind: 'logs', filter: (t) => t.filter.logs(), params: ['node', 'source'], retained: false, qos: 0, publisher: 'agent', schema: LogBatch, description: 'batches of log lines' },
  { kind: 'logsTail', filter: (t) => t.filter.logsTail(), params: ['node', 'source'], retained: true, qos: 1, publisher: 'agent', schema: LogBatch, description: 'the last 100 lines of a supervised process, so a late subscriber sees them at once; updated at most every 2 s while lines come; an empty retained payload removes it' },
  { kind: 'cmd', filter: (t) => t.filter.cmd(), params: ['node'], retained: false, qos: 1, publisher: 'ui, operators, Home Assistant, scripts', schema: Command, description: 'commands; the agent acts only on what its own config allows' },
  { kind: 'cmdResult', filter: (t) => t.filter.cmdResult(), params: ['node'], retained: false, qos: 1, publisher: 'agent', schema: CommandResult, description: 'command results (also recorded as CommandCompleted events)' },
  { kind: 'projectorStatus', filter: (t) => t.projectorStatus(), params: [], retained: true, qos: 1, publisher: 'projector (+ will)', schema: ProjectorStatus, description: 'online/offline: agents may hold events back while it is away' },
  { kind: 'alerts', filter: (t) => t.alerts(), params: [], retained: true, qos: 1, publisher: 'projector', schema: Alerts, description: 'every open alert' },
  { kind: 'summary', filter: (t) => t.summary(), params: [], retained: true, qos: 1, publisher: 'projector', schema: Summary, description: 'fleet counts: nodes online/lost, services healthy/unhealthy, open alerts' },
  { kind: 'query', filter: (t) => t.filter.query(), params: ['name'], retained: false, qos: 1, publisher: 'ui, viewers', schema: QueryRequest, description: 'history queries; the request carries `id` and `replyTo`' },
  { kind: 'reply', filter: (t) => t.filter.reply(), params: ['client'], retained: false, qos: 1, publisher: 'projector', schema: QueryReply, description: 'answers to queries' },
];

/** The filter of a spec with its `+` levels named, e.g. `sitrep/v1/nodes/{node}/status`. */
export function topicPattern(spec: TopicSpec, t: Topics): string {
  let i = 0;
  return spec
    .filter(t)
    .split('/')
    .map((level) => (level === '+' ? `{${spec.params[i++] ?? 'id'}}` : level))
    .join('/');
}
