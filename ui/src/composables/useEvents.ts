/**
 * The live stream of agent events (transitions, check results, command audit, ...), newest first,
 * bounded. Not retained: it starts when the page connects; history comes from projector queries.
 */
import { getCurrentScope, onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import { codecs, type AgentEvent } from '@sitrep/schemas';
import { createBatch, type Schedule } from './batch.js';
import type { MqttSession } from './useMqtt.js';

export const EVENTS_KEPT = 1000;

export interface EventsStore {
  /** Newest first, at most EVENTS_KEPT. */
  readonly events: Readonly<ShallowRef<readonly AgentEvent[]>>;
}

export function useEvents(session: MqttSession, schedule?: Schedule): EventsStore {
  const events = shallowRef<readonly AgentEvent[]>([]);
  const batch = createBatch<AgentEvent>((fresh) => {
    events.value = [...fresh.reverse(), ...events.value].slice(0, EVENTS_KEPT);
  }, schedule);
  const remove = session.addFeed({
    kinds: ['events'],
    filters: [session.topics.filter.events()],
    // Gated with the retained feeds: a wildcard subscription over every node costs the broker a
    // lookup among all retained topics, and the snapshot query waited behind it. Events published
    // while the snapshot is on its way are not shown live (the projector's history has them).
    gated: true,
    // Events are not retained: what was seen stays across a reconnect.
    reset() {},
    receive(topic, payload) {
      if (topic.kind !== 'events') return `the events feed does not handle ${topic.kind} topics`;
      const d = codecs.event.decode(payload);
      if (!d.ok) return d.reason;
      if (d.value.node !== topic.node) return `payload names node ${JSON.stringify(d.value.node)}, topic names ${topic.node}`;
      batch.push(d.value);
      return null;
    },
  });
  if (getCurrentScope() !== undefined) onScopeDispose(remove);
  return { events };
}
