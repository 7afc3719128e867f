/**
 * The topic layout (DESIGN.md section 3). This file is the only place a topic string is written:
 * everything else builds topics and subscription filters here and parses incoming topics here.
 */
import { assertId, idProblem, type IdKind } from './ids.js';

export const DEFAULT_PREFIX = 'sitrep/v1';

/** Topic kinds under `nodes/{node}/`. */
export type NodeTopic =
  | { kind: 'status'; node: string }
  | { kind: 'birth'; node: string }
  | { kind: 'metrics'; node: string }
  | { kind: 'service'; node: string; service: string }
  | { kind: 'check'; node: string; check: string }
  | { kind: 'events'; node: string }
  | { kind: 'logs'; node: string; source: string }
  | { kind: 'logsTail'; node: string; source: string }
  | { kind: 'cmd'; node: string }
  | { kind: 'cmdResult'; node: string };

/** Topic kinds under `hub/`. */
export type HubTopic =
  | { kind: 'projectorStatus' }
  | { kind: 'alerts' }
  | { kind: 'summary' }
  | { kind: 'query'; name: string }
  | { kind: 'reply'; client: string };

export type ParsedTopic = NodeTopic | HubTopic;
export type TopicKind = ParsedTopic['kind'];

export type ParseResult = { ok: true; topic: ParsedTopic } | { ok: false; reason: string };

export class InvalidPrefixError extends Error {
  readonly code = 'INVALID_TOPIC_PREFIX';
  constructor(prefix: string, reason: string) {
    super(`invalid topic prefix ${JSON.stringify(prefix)}: ${reason}`);
    this.name = 'InvalidPrefixError';
  }
}

function prefixProblem(prefix: string): string | null {
  if (prefix.length === 0) return 'empty';
  if (prefix.startsWith('$')) return 'starts with $';
  if (/[+#\u0000]/.test(prefix)) return 'contains + # or NUL';
  if (prefix.split('/').some((level) => level.length === 0)) return 'has an empty level';
  return null;
}

/** Ids for the query name and reply client levels: same rule as check ids. */
const hubIdKind: IdKind = 'check';

export interface Topics {
  readonly prefix: string;
  status(node: string): string;
  birth(node: string): string;
  metrics(node: string): string;
  service(node: string, service: string): string;
  check(node: string, check: string): string;
  events(node: string): string;
  logs(node: string, source: string): string;
  /** Retained: the last lines of a source, for subscribers that come late. */
  logsTail(node: string, source: string): string;
  cmd(node: string): string;
  cmdResult(node: string): string;
  projectorStatus(): string;
  alerts(): string;
  summary(): string;
  query(name: string): string;
  reply(client: string): string;
  /** Subscription filters. `node` narrows a filter to one node; omitted, it matches every node. */
  filter: {
    status(node?: string): string;
    birth(node?: string): string;
    metrics(node?: string): string;
    services(node?: string): string;
    checks(node?: string): string;
    events(node?: string): string;
    logs(node?: string): string;
    logsTail(node?: string): string;
    cmd(node?: string): string;
    cmdResult(node?: string): string;
    /** Queries to the projector, by name. */
    query(name?: string): string;
    /** Replies to one client (or all, for documentation). */
    reply(client?: string): string;
    /** One node's whole subtree. */
    node(node: string): string;
    /** Everything under the prefix. */
    all(): string;
  };
  parse(topic: string): ParseResult;
}

export function createTopics(prefix: string = DEFAULT_PREFIX): Topics {
  const problem = prefixProblem(prefix);
  if (problem !== null) throw new InvalidPrefixError(prefix, problem);
  const nodes = `${prefix}/nodes`;
  const hub = `${prefix}/hub`;
  const n = (node: string) => `${nodes}/${assertId('node', node)}`;
  const nf = (node?: string) => (node === undefined ? `${nodes}/+` : n(node));

  return {
    prefix,
    status: (node) => `${n(node)}/status`,
    birth: (node) => `${n(node)}/birth`,
    metrics: (node) => `${n(node)}/metrics`,
    service: (node, service) => `${n(node)}/services/${assertId('service', service)}`,
    check: (node, check) => `${n(node)}/checks/${assertId('check', check)}`,
    events: (node) => `${n(node)}/events`,
    logs: (node, source) => `${n(node)}/logs/${assertId('source', source)}`,
    logsTail: (node, source) => `${n(node)}/logs/${assertId('source', source)}/tail`,
    cmd: (node) => `${n(node)}/cmd`,
    cmdResult: (node) => `${n(node)}/cmd/result`,
    projectorStatus: () => `${hub}/projector/status`,
    alerts: () => `${hub}/alerts`,
    summary: () => `${hub}/summary`,
    query: (name) => `${hub}/query/${assertId(hubIdKind, name)}`,
    reply: (client) => `${hub}/reply/${assertId(hubIdKind, client)}`,
    filter: {
      status: (node) => `${nf(node)}/status`,
      birth: (node) => `${nf(node)}/birth`,
      metrics: (node) => `${nf(node)}/metrics`,
      services: (node) => `${nf(node)}/services/+`,
      checks: (node) => `${nf(node)}/checks/+`,
      events: (node) => `${nf(node)}/events`,
      logs: (node) => `${nf(node)}/logs/+`,
      logsTail: (node) => `${nf(node)}/logs/+/tail`,
      cmd: (node) => `${nf(node)}/cmd`,
      cmdResult: (node) => `${nf(node)}/cmd/result`,
      query: (name) => `${hub}/query/${name === undefined ? '+' : assertId(hubIdKind, name)}`,
      reply: (client) => `${hub}/reply/${client === undefined ? '+' : assertId(hubIdKind, client)}`,
      node: (node) => `${n(node)}/#`,
      all: () => `${prefix}/#`,
    },
    parse: (topic) => parseTopic(prefix, topic),
  };
}

function idOrReason(kind: IdKind, value: string | undefined, what: string): string | null {
  if (value === undefined) return `missing ${what}`;
  const problem = idProblem(kind, value);
  return problem === null ? null : `${what} ${JSON.stringify(value.slice(0, 80))} ${problem}`;
}

// Module level, not closures inside parseTopic: the projector parses every message's topic, and
// closures made per call (each wrapped in a naming helper by the dev build) were half its cost.
function fail(reason: string): ParseResult {
  return { ok: false, reason };
}
function ok(t: ParsedTopic): ParseResult {
  return { ok: true, topic: t };
}
const LEAF_KIND = { services: 'service', checks: 'check', logs: 'source' } as const;

/** Parse a concrete topic (never a filter) into its kind and ids, or say precisely why not. */
export function parseTopic(prefix: string, topic: string): ParseResult {
  if (!topic.startsWith(prefix) || topic.charCodeAt(prefix.length) !== 47 /* / */) return { ok: false, reason: `not under prefix ${prefix}` };
  const levels = topic.slice(prefix.length + 1).split('/');
  const [area, a, b, c] = levels;

  if (area === 'nodes') {
    const bad = idOrReason('node', a, 'node id');
    if (bad !== null) return fail(bad);
    const node = a as string;
    if (levels.length === 3) {
      switch (b) {
        case 'status':
        case 'birth':
        case 'metrics':
        case 'events':
        case 'cmd':
          return ok({ kind: b, node });
        default:
          return fail(`unknown node topic ${JSON.stringify(b)}`);
      }
    }
    if (levels.length === 4) {
      if (b === 'cmd' && c === 'result') return ok({ kind: 'cmdResult', node });
      if (b === 'services' || b === 'checks' || b === 'logs') {
        const kind = LEAF_KIND[b];
        const badLeaf = idOrReason(kind, c, `${kind} id`);
        if (badLeaf !== null) return fail(badLeaf);
        const id = c as string;
        if (b === 'services') return ok({ kind: 'service', node, service: id });
        if (b === 'checks') return ok({ kind: 'check', node, check: id });
        return ok({ kind: 'logs', node, source: id });
      }
    }
    if (levels.length === 5 && b === 'logs' && levels[4] === 'tail') {
      const badLeaf = idOrReason('source', c, 'source id');
      if (badLeaf !== null) return fail(badLeaf);
      return ok({ kind: 'logsTail', node, source: c as string });
    }
    return fail(`unknown node topic ${JSON.stringify(levels.slice(2).join('/'))}`);
  }
  if (area === 'hub') {
    if (levels.length === 3 && a === 'projector' && b === 'status') return ok({ kind: 'projectorStatus' });
    if (levels.length === 2 && a === 'alerts') return ok({ kind: 'alerts' });
    if (levels.length === 2 && a === 'summary') return ok({ kind: 'summary' });
    if (levels.length === 3 && (a === 'query' || a === 'reply')) {
      const bad = idOrReason(hubIdKind, b, `${a} id`);
      if (bad !== null) return fail(bad);
      return a === 'query' ? ok({ kind: 'query', name: b as string }) : ok({ kind: 'reply', client: b as string });
    }
    return fail(`unknown hub topic ${JSON.stringify(levels.slice(1).join('/'))}`);
  }
  return fail(`unknown area ${JSON.stringify(area)}`);
}

/** Whether a concrete topic matches a subscription filter with `+` and `#` [MQTT-4.7]. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const l = topic.split('/');
  // Wildcards at the first level do not match topics starting with $ [MQTT-4.7.2-1].
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= l.length) return false;
    if (f[i] !== '+' && f[i] !== l[i]) return false;
  }
  return f.length === l.length;
}
