/**
 * Live node state: the fleet feed of the MQTT session (retained status, birth and metrics of every
 * node), folded by the pure reducer in model/fleet-state.
 */
import { getCurrentScope, onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import type { ParsedTopic } from '@sitrep/schemas';
import { applySnapshotNodes, type SnapshotNodeFacts } from '../model/fleet-snapshot.js';
import { applyNodeChanges, decodeNodeMessage, emptyFleet, NODE_PIECES, type Fleet, type NodeChange, type NodePiece } from '../model/fleet-state.js';
import { appendTrail, type Trails } from '../model/trail.js';
import { createBatch, type Schedule } from './batch.js';
import type { MqttSession } from './useMqtt.js';

export interface FleetStore {
  /** Replaced, never mutated, on every change. */
  readonly nodes: Readonly<ShallowRef<Fleet>>;
  /** Recent metrics per node, kept across reconnects, for sparklines. */
  readonly trails: Readonly<ShallowRef<Trails>>;
  /** Fold a fleet snapshot's node facts in at once, under what retained messages already said. */
  applySnapshot(nodes: ReadonlyMap<string, SnapshotNodeFacts>): void;
}

type NodePieceTopic = Extract<ParsedTopic, { kind: NodePiece }>;

const isNodePiece = (topic: ParsedTopic): topic is NodePieceTopic =>
  (NODE_PIECES as readonly string[]).includes(topic.kind);

/**
 * `schedule` decides when a burst of messages is folded (default: every 100 ms; tests: at once).
 * The feed is gated: on each connect it subscribes once the session's gate opens (after the fleet
 * snapshot, see useFleetSnapshot).
 */
export function useFleet(session: MqttSession, schedule?: Schedule): FleetStore {
  const nodes = shallowRef<Fleet>(emptyFleet());
  const trails = shallowRef<Trails>(new Map());
  /** `node\npiece` of every retained message since the last subscribe: the snapshot stays out of those. */
  let spoken = new Set<string>();
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
    gated: true,
    reset: () => {
      batch.clear();
      spoken = new Set();
      nodes.value = emptyFleet();
    },
    receive(topic, payload) {
      if (!isNodePiece(topic)) return `the fleet feed does not handle ${topic.kind} topics`;
      const result = decodeNodeMessage(topic.kind, topic.node, payload);
      if (!result.ok) return result.reason;
      spoken.add(`${topic.node}\n${topic.kind}`);
      batch.push(result.change);
      return null;
    },
  });
  if (getCurrentScope() !== undefined) onScopeDispose(remove);
  return {
    nodes,
    trails,
    applySnapshot(facts) {
      nodes.value = applySnapshotNodes(nodes.value, facts, (node, piece) => spoken.size > 0 && spoken.has(`${node}\n${piece}`));
    },
  };
}
