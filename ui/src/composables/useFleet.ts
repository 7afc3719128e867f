/**
 * Live node state: the fleet feed of the MQTT session (retained status, birth and metrics of every
 * node), folded by the pure reducer in model/fleet-state.
 */
import { getCurrentScope, onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import type { ParsedTopic } from '@sitrep/schemas';
import { applyNodeMessage, emptyFleet, NODE_PIECES, type Fleet, type NodePiece } from '../model/fleet-state.js';
import { appendTrail, type Trails } from '../model/trail.js';
import type { MqttSession } from './useMqtt.js';

export interface FleetStore {
  /** Replaced, never mutated, on every change. */
  readonly nodes: Readonly<ShallowRef<Fleet>>;
  /** Recent metrics per node, kept across reconnects, for sparklines. */
  readonly trails: Readonly<ShallowRef<Trails>>;
}

type NodePieceTopic = Extract<ParsedTopic, { kind: NodePiece }>;

const isNodePiece = (topic: ParsedTopic): topic is NodePieceTopic =>
  (NODE_PIECES as readonly string[]).includes(topic.kind);

export function useFleet(session: MqttSession): FleetStore {
  const nodes = shallowRef<Fleet>(emptyFleet());
  const trails = shallowRef<Trails>(new Map());
  const f = session.topics.filter;
  const remove = session.addFeed({
    kinds: NODE_PIECES,
    filters: [f.status(), f.birth(), f.metrics()],
    reset: () => {
      nodes.value = emptyFleet();
    },
    receive(topic, payload) {
      if (!isNodePiece(topic)) return `the fleet feed does not handle ${topic.kind} topics`;
      const result = applyNodeMessage(nodes.value, topic.kind, topic.node, payload);
      if (!result.ok) return result.reason;
      nodes.value = result.fleet;
      const m = topic.kind === 'metrics' ? result.fleet.get(topic.node)?.metrics : undefined;
      if (m !== undefined) trails.value = appendTrail(trails.value, topic.node, m);
      return null;
    },
  });
  if (getCurrentScope() !== undefined) onScopeDispose(remove);
  return { nodes, trails };
}
