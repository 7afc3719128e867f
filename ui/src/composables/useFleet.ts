/**
 * Live node state: the fleet feed of the MQTT session (retained status, birth and metrics of every
 * node), folded by the pure reducer in model/fleet-state.
 */
import { getCurrentScope, onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import type { ParsedTopic } from '@sitrep/schemas';
import { applyNodeChanges, decodeNodeMessage, emptyFleet, NODE_PIECES, type Fleet, type NodeChange, type NodePiece } from '../model/fleet-state.js';
import { appendTrail, type Trails } from '../model/trail.js';
import { createBatch, type Schedule } from './batch.js';
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

/** `schedule` decides when a burst of messages is folded (default: every 100 ms; tests: at once). */
export function useFleet(session: MqttSession, schedule?: Schedule): FleetStore {
  const nodes = shallowRef<Fleet>(emptyFleet());
  const trails = shallowRef<Trails>(new Map());
  const batch = createBatch<NodeChange>((changes) => {
    nodes.value = applyNodeChanges(nodes.value, changes);
    let t = trails.value;
    for (const c of changes) if (c.piece === 'metrics' && c.value !== undefined) t = appendTrail(t, c.node, c.value);
    trails.value = t;
  }, schedule);
  const f = session.topics.filter;
  const remove = session.addFeed({
    kinds: NODE_PIECES,
    filters: [f.status(), f.birth(), f.metrics()],
    reset: () => {
      batch.clear();
      nodes.value = emptyFleet();
    },
    receive(topic, payload) {
      if (!isNodePiece(topic)) return `the fleet feed does not handle ${topic.kind} topics`;
      const result = decodeNodeMessage(topic.kind, topic.node, payload);
      if (!result.ok) return result.reason;
      batch.push(result.change);
      return null;
    },
  });
  if (getCurrentScope() !== undefined) onScopeDispose(remove);
  return { nodes, trails };
}
