/** The projector's derived retained state: open alerts, fleet summary, and whether it is up. */
import { getCurrentScope, onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import { codecs, type Alerts, type Codec, type ProjectorStatus, type Summary } from '@sitrep/schemas';
import type { Static, TSchema } from '@sinclair/typebox';
import type { MqttSession } from './useMqtt.js';

export interface HubStateStore {
  readonly alerts: Readonly<ShallowRef<Alerts | null>>;
  readonly summary: Readonly<ShallowRef<Summary | null>>;
  readonly projector: Readonly<ShallowRef<ProjectorStatus | null>>;
}

export function useHubState(session: MqttSession): HubStateStore {
  const alerts = shallowRef<Alerts | null>(null);
  const summary = shallowRef<Summary | null>(null);
  const projector = shallowRef<ProjectorStatus | null>(null);
  const t = session.topics;
  const remove = session.addFeed({
    kinds: ['alerts', 'summary', 'projectorStatus'],
    filters: [t.alerts(), t.summary(), t.projectorStatus()],
    reset() {
      alerts.value = null;
      summary.value = null;
      projector.value = null;
    },
    receive(topic, payload) {
      switch (topic.kind) {
        case 'alerts':
          return decodeInto(alerts, codecs.alerts, payload);
        case 'summary':
          return decodeInto(summary, codecs.summary, payload);
        case 'projectorStatus':
          return decodeInto(projector, codecs.projectorStatus, payload);
        default:
          return `the hub feed does not handle ${topic.kind} topics`;
      }
    },
  });
  if (getCurrentScope() !== undefined) onScopeDispose(remove);
  return { alerts, summary, projector };
}

/** An empty retained payload clears the value; anything else must decode. */
function decodeInto<S extends TSchema>(target: ShallowRef<Static<S> | null>, codec: Codec<S>, payload: Uint8Array): string | null {
  if (payload.byteLength === 0) {
    target.value = null;
    return null;
  }
  const d = codec.decode(payload);
  if (!d.ok) return d.reason;
  target.value = d.value;
  return null;
}
