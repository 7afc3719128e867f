/**
 * Who may publish, subscribe to and receive what (DESIGN.md section 7). Pure functions of the
 * identity and the topic, so the matrix is testable without a broker. Anything not allowed here is
 * denied. `ACL_RULES` states the same matrix as topic filters, for brokers that only understand
 * filters (the Mosquitto export).
 *
 * | role        | publish                                               | subscribe / receive          |
 * |-------------|-------------------------------------------------------|------------------------------|
 * | agent       | own `nodes/{node}/...` except `cmd`                   | own `cmd`, projector status  |
 * | viewer      | queries                                               | everything under the prefix  |
 * | operator    | commands, queries                                     | everything under the prefix  |
 * | integration | queries (+ commands with `commands: true`)            | everything under the prefix  |
 * | service     | hub topics (status, alerts, summary, replies), `cmd`  | everything under the prefix  |
 *
 * Home Assistant (discovery prefix, default `homeassistant`): an agent publishes only its own
 * device's discovery config and reads HA's status; operators and integrations may publish HA's
 * status; every role but agents may read under the HA prefix.
 */
import { createHaTopics, type HaTopics, type TopicKind, type Topics } from '@sitrep/schemas';
import type { Identity } from '@sitrep/schemas/config';

export type Decision = { ok: true } | { ok: false; reason: string };

const ALLOW: Decision = { ok: true };
const deny = (reason: string): Decision => ({ ok: false, reason });

/** Topics an agent may publish under its own `nodes/{node}/` subtree (everything but `cmd`). */
const AGENT_PUBLISH: ReadonlySet<TopicKind> = new Set(['status', 'birth', 'metrics', 'service', 'check', 'events', 'logs', 'logsTail', 'cmdResult']);
/** Hub topics the projector publishes, and `cmd` for replay and rebirth requests. */
const SERVICE_PUBLISH: ReadonlySet<TopicKind> = new Set(['projectorStatus', 'alerts', 'summary', 'reply', 'cmd']);

/** The topic kinds an identity may publish (agents: only under their own node). */
export function publishKinds(who: Identity): ReadonlySet<TopicKind> {
  switch (who.role) {
    case 'agent':
      return AGENT_PUBLISH;
    case 'service':
      return SERVICE_PUBLISH;
    case 'operator':
      return new Set(['cmd', 'query']);
    case 'integration':
      return new Set(who.commands === true ? ['cmd', 'query'] : ['query']);
    case 'viewer':
      return new Set(['query']);
  }
}

const DEFAULT_HA = createHaTopics();

export function canPublish(who: Identity, topic: string, t: Topics, ha: HaTopics = DEFAULT_HA): Decision {
  if (topic.startsWith('$')) return deny('$ topics are reserved to the broker');
  // Home Assistant: an agent announces only its own device; HA (operator or integration) its status.
  if (who.role === 'agent' && who.node !== undefined && topic === ha.deviceConfig(who.node)) return ALLOW;
  if ((who.role === 'operator' || who.role === 'integration') && topic === ha.status()) return ALLOW;
  const parsed = t.parse(topic);
  if (!parsed.ok) return deny(`not a sitrep topic: ${parsed.reason}`);
  const { kind } = parsed.topic;
  if (!publishKinds(who).has(kind)) return deny(`${who.role} identities may not publish ${kind} topics`);
  if (who.role === 'agent' && (!('node' in parsed.topic) || parsed.topic.node !== who.node)) {
    return deny(`agent of node ${who.node ?? '?'} may publish only under its own node`);
  }
  return ALLOW;
}

/** Whether a subscription filter (wildcards allowed) stays inside the identity's read scope. */
export function canSubscribe(who: Identity, filter: string, t: Topics, ha: HaTopics = DEFAULT_HA): Decision {
  if (filter.startsWith('$')) return deny('$ topics are reserved to the broker');
  if (who.role === 'agent') {
    // Exact topics only: no wildcard can reach another node's commands.
    if (agentReads(who, filter, t, ha)) return ALLOW;
    return deny(`agent of node ${who.node ?? '?'} may subscribe only to its own cmd, the projector status and Home Assistant's status`);
  }
  // Readers may subscribe to anything under the prefix (and Home Assistant's), wildcards included, but not beyond.
  if (filter === t.filter.all() || filter.startsWith(`${t.prefix}/`)) return ALLOW;
  if (filter === `${ha.prefix}/#` || filter.startsWith(`${ha.prefix}/`)) return ALLOW;
  return deny(`outside ${t.prefix}/ and ${ha.prefix}/`);
}

/**
 * Whether a message on a concrete topic may be delivered to the identity. Subscriptions are already
 * checked; this is the second gate at forwarding, so a message reaches nobody outside its scope
 * even through a subscription restored from an older session or a broker-originated publish.
 */
export function canReceive(who: Identity, topic: string, t: Topics, ha: HaTopics = DEFAULT_HA): Decision {
  if (topic.startsWith('$')) return deny('$ topics are reserved to the broker');
  if (who.role === 'agent') return agentReads(who, topic, t, ha) ? ALLOW : deny(`agent of node ${who.node ?? '?'} may not read ${topic}`);
  return topic.startsWith(`${t.prefix}/`) || topic.startsWith(`${ha.prefix}/`) ? ALLOW : deny(`outside ${t.prefix}/ and ${ha.prefix}/`);
}

function agentReads(who: Identity, topicOrFilter: string, t: Topics, ha: HaTopics): boolean {
  return who.node !== undefined && (topicOrFilter === t.cmd(who.node) || topicOrFilter === t.projectorStatus() || topicOrFilter === ha.status());
}

/** One topic-filter rule of the matrix, in the vocabulary of file-based broker ACLs. */
export interface AclRule {
  access: 'read' | 'write';
  filter: string;
}

/** Filters for each topic kind; `node` narrows node topics to one node. */
function kindFilter(kind: TopicKind, t: Topics, node?: string): string {
  const f = t.filter;
  switch (kind) {
    case 'status':
      return f.status(node);
    case 'birth':
      return f.birth(node);
    case 'metrics':
      return f.metrics(node);
    case 'service':
      return f.services(node);
    case 'check':
      return f.checks(node);
    case 'events':
      return f.events(node);
    case 'logs':
      return f.logs(node);
    case 'logsTail':
      return f.logsTail(node);
    case 'cmd':
      return f.cmd(node);
    case 'cmdResult':
      return f.cmdResult(node);
    case 'projectorStatus':
      return t.projectorStatus();
    case 'alerts':
      return t.alerts();
    case 'summary':
      return t.summary();
    case 'query':
      return f.query();
    case 'reply':
      return f.reply();
  }
}

/** The matrix above as topic filters: what a file-based ACL must grant this identity. */
export function aclRules(who: Identity, t: Topics, ha: HaTopics = DEFAULT_HA): AclRule[] {
  const node = who.role === 'agent' ? who.node : undefined;
  const write: AclRule[] = [...publishKinds(who)].map((kind) => ({ access: 'write' as const, filter: kindFilter(kind, t, node) }));
  if (who.role === 'agent' && node !== undefined) write.push({ access: 'write', filter: ha.deviceConfig(node) });
  if (who.role === 'operator' || who.role === 'integration') write.push({ access: 'write', filter: ha.status() });
  const read: AclRule[] =
    who.role === 'agent' && node !== undefined
      ? [
          { access: 'read', filter: t.cmd(node) },
          { access: 'read', filter: t.projectorStatus() },
          { access: 'read', filter: ha.status() },
        ]
      : [
          { access: 'read', filter: t.filter.all() },
          { access: 'read', filter: `${ha.prefix}/#` },
        ];
  return [...read, ...write];
}
