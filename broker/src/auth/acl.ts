/**
 * Who may publish and subscribe to what (DESIGN.md section 7). Pure functions of the identity and
 * the topic, so the matrix is testable without a broker. Anything not allowed here is denied.
 */
import { createHaTopics, type HaTopics, type Topics } from '@sitrep/schemas';
import type { Identity } from '@sitrep/schemas/config';

export type Decision = { ok: true } | { ok: false; reason: string };

const ALLOW: Decision = { ok: true };
const deny = (reason: string): Decision => ({ ok: false, reason });

/** Topics an agent may publish under its own `nodes/{node}/` subtree (everything but `cmd`). */
const AGENT_PUBLISH = new Set(['status', 'birth', 'metrics', 'service', 'check', 'events', 'logs', 'logsTail', 'cmdResult']);
/** Hub topics the projector publishes. */
const SERVICE_PUBLISH = new Set(['projectorStatus', 'alerts', 'summary', 'reply', 'cmd']);

const DEFAULT_HA = createHaTopics();

export function canPublish(who: Identity, topic: string, t: Topics, ha: HaTopics = DEFAULT_HA): Decision {
  if (topic.startsWith('$')) return deny('$ topics are reserved to the broker');
  // Home Assistant: an agent announces only its own device; HA (operator or integration) its status.
  if (who.role === 'agent' && who.node !== undefined && topic === ha.deviceConfig(who.node)) return ALLOW;
  if ((who.role === 'operator' || who.role === 'integration') && topic === ha.status()) return ALLOW;
  const parsed = t.parse(topic);
  if (!parsed.ok) return deny(`not a sitrep topic: ${parsed.reason}`);
  const { kind } = parsed.topic;
  switch (who.role) {
    case 'agent':
      if (!AGENT_PUBLISH.has(kind)) return deny(`agents may not publish ${kind} topics`);
      if (!('node' in parsed.topic) || parsed.topic.node !== who.node)
        return deny(`agent of node ${who.node} may publish only under its own node`);
      return ALLOW;
    case 'operator':
      return kind === 'cmd' || kind === 'query' ? ALLOW : deny(`operators may publish only commands and queries`);
    case 'viewer':
    case 'integration':
      return kind === 'query' ? ALLOW : deny(`${who.role}s may publish only queries`);
    case 'service':
      return SERVICE_PUBLISH.has(kind) ? ALLOW : deny(`the projector may not publish ${kind} topics`);
  }
}

export function canSubscribe(who: Identity, filter: string, t: Topics, ha: HaTopics = DEFAULT_HA): Decision {
  if (filter.startsWith('$')) return deny('$ topics are reserved to the broker');
  if (who.role === 'agent') {
    // Exact topics only: no wildcard can reach another node's commands.
    const node = who.node ?? '';
    if (filter === t.cmd(node) || filter === t.projectorStatus() || filter === ha.status()) return ALLOW;
    return deny(`agent of node ${node} may subscribe only to its own cmd, the projector status and Home Assistant's status`);
  }
  // Readers may subscribe to anything under the prefix (and Home Assistant's), wildcards included, but not beyond.
  if (filter === t.filter.all() || filter.startsWith(`${t.prefix}/`)) return ALLOW;
  if (filter === `${ha.prefix}/#` || filter.startsWith(`${ha.prefix}/`)) return ALLOW;
  return deny(`outside ${t.prefix}/ and ${ha.prefix}/`);
}
