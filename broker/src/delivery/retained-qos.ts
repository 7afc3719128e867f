/**
 * Retained messages sent in answer to a SUBSCRIBE go out at the QoS the subscription was granted,
 * not above it [MQTT-3.8.4-6]. aedes 1.2 looks the granted QoS up by the message's topic instead
 * of the subscription's filter, finds nothing for a wildcard subscription, and sends every
 * retained message at its stored QoS 1: a dashboard subscribing at QoS 0 to the state of a
 * 500-node fleet then had to acknowledge 11,500 messages at connect (and the broker to track
 * them in flight). Live messages are not affected: aedes delivers them per subscription.
 */
import { topicMatches } from '@sitrep/schemas';

interface Forwarded {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
}

/** What aedes keeps per client: granted QoS per subscription filter. */
export type GrantedSubscriptions = Readonly<Record<string, { readonly qos: number } | undefined>>;

/** The highest QoS granted to any of the client's filters that match `topic`, or null. */
export function grantedQos(subscriptions: GrantedSubscriptions, topic: string): number | null {
  let best: number | null = null;
  for (const [filter, sub] of Object.entries(subscriptions)) {
    if (sub === undefined || !topicMatches(filter, topic)) continue;
    if (best === null || sub.qos > best) best = sub.qos;
  }
  return best;
}

/** The packet to forward: a retained one above its subscription's QoS as a downgraded copy. */
export function atGrantedQos<P extends Forwarded>(subscriptions: GrantedSubscriptions | undefined, packet: P): P {
  if (!packet.retain || packet.qos === 0 || subscriptions === undefined) return packet;
  const granted = grantedQos(subscriptions, packet.topic);
  if (granted === null || granted >= packet.qos) return packet;
  return { ...packet, qos: granted as 0 | 1 };
}
