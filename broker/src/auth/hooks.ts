/**
 * The aedes hooks that enforce identities and the ACL matrix: authentication (including the will a
 * client asks for), publish, subscribe and forwarding. Every denial is logged with the identity,
 * the topic and the reason; never a password or a payload.
 */
import type { AedesOptions, AuthenticateError, Client } from 'aedes';
import { createHaTopics, type HaTopics, type Logger, type Topics } from '@sitrep/schemas';
import type { Identity } from '@sitrep/schemas/config';
import type { CommandRate } from '../limits/commands.js';
import { atGrantedQos, type GrantedSubscriptions } from '../delivery/retained-qos.js';
import { canPublish, canReceive, canSubscribe, type Decision } from './acl.js';
import type { IdentityStore } from './identities.js';

// MQTT 3.1.1 CONNACK return codes [MQTT-3.2.2.3].
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;

function refusal(message: string, returnCode: number): AuthenticateError {
  return Object.assign(new Error(message), { returnCode }) as AuthenticateError;
}

export type AuthHooks = Required<Pick<AedesOptions, 'preConnect' | 'authenticate' | 'authorizePublish' | 'authorizeSubscribe' | 'authorizeForward'>>;

export interface AuthContext {
  identities: IdentityStore;
  topics: Topics;
  /** Home Assistant's discovery topics (default prefix `homeassistant`). */
  ha?: HaTopics;
  log: Logger;
  commands: CommandRate;
}

export interface Auth {
  hooks: AuthHooks;
  /** The identity a connected client authenticated as. */
  identityOf(client: Client): Identity | undefined;
}

export function createAuth({ identities, topics: t, ha = createHaTopics(), log, commands }: AuthContext): Auth {
  const who = new WeakMap<Client, Identity>();
  // aedes authorizes a will only when it is published; we check it at CONNECT (below), so a will
  // that survives in persistence after a restart was already allowed for its identity.
  const willTopics = new WeakMap<Client, string>();

  function authorizeAsIdentity(identity: Identity, topic: string): Decision {
    const decision = canPublish(identity, topic, t, ha);
    if (!decision.ok) return decision;
    // The projector's replay and rebirth requests are exempt: after an outage it may ask every
    // node at once, and cutting it off would stop the history it exists to keep.
    if (identity.role === 'service') return decision;
    const parsed = t.parse(topic);
    if (parsed.ok && parsed.topic.kind === 'cmd') {
      const limited = commands.take(identity.username);
      if (limited !== null) return { ok: false, reason: limited };
    }
    return decision;
  }

  const hooks: AuthHooks = {
    preConnect(client, packet, done) {
      if (packet.will) willTopics.set(client, packet.will.topic);
      done(null, true);
    },
    authenticate(client, username, password, done) {
      if (username === undefined || password === undefined) {
        log.warn('connection refused: no credentials', { client: client.id });
        done(refusal('credentials required', BAD_USERNAME_OR_PASSWORD), false);
        return;
      }
      identities.verify(username, password.toString('utf8')).then(
        (identity) => {
          if (identity === null) {
            log.warn('connection refused: bad username or password', { client: client.id, username });
            done(refusal('bad username or password', BAD_USERNAME_OR_PASSWORD), false);
            return;
          }
          const will = willTopics.get(client);
          const willDecision = will === undefined ? null : canPublish(identity, will, t, ha);
          if (willDecision !== null && !willDecision.ok) {
            log.warn('connection refused: will denied', { client: client.id, username, role: identity.role, topic: will, reason: willDecision.reason });
            done(refusal(`will denied: ${willDecision.reason}`, NOT_AUTHORIZED), false);
            return;
          }
          who.set(client, identity);
          done(null, true);
        },
        (err: Error) => {
          log.error('authentication failed', { client: client.id, username, error: err.message });
          done(refusal('authentication failed', BAD_USERNAME_OR_PASSWORD), false);
        },
      );
    },
    authorizePublish(client, packet, done) {
      if (client === null) {
        // A will restored from persistence after a broker restart has no client (NOTES-mqtt.md).
        // It was authorized for its identity at CONNECT; a will can only be a status, so that is
        // all a client-less publish may be.
        const parsed = t.parse(packet.topic);
        if (parsed.ok && parsed.topic.kind === 'status') return done(null);
        log.warn('publish denied', { username: null, topic: packet.topic, reason: 'a broker-originated publish may only be a status will' });
        return done(new Error('publish denied: broker-originated publishes are status wills only'));
      }
      const identity = who.get(client);
      const decision: Decision = identity === undefined ? { ok: false, reason: 'no identity' } : authorizeAsIdentity(identity, packet.topic);
      if (decision.ok) return done(null);
      log.warn('publish denied', { client: client.id, username: identity?.username, role: identity?.role, topic: packet.topic, reason: decision.reason });
      // MQTT 3.1.1 has no negative PUBACK: aedes closes the connection.
      done(new Error(`publish denied: ${decision.reason}`));
    },
    authorizeSubscribe(client, subscription, done) {
      const identity = who.get(client);
      const decision: Decision = identity === undefined ? { ok: false, reason: 'no identity' } : canSubscribe(identity, subscription.topic, t, ha);
      if (decision.ok) return done(null, subscription);
      log.warn('subscribe denied', { client: client.id, username: identity?.username, role: identity?.role, topic: subscription.topic, reason: decision.reason });
      // null refuses this one subscription (SUBACK 0x80) and keeps the connection [MQTT-3.9.3-2].
      done(null, null);
    },
    authorizeForward(client, packet) {
      const identity = who.get(client);
      const decision: Decision = identity === undefined ? { ok: false, reason: 'no identity' } : canReceive(identity, packet.topic, t, ha);
      if (decision.ok) return atGrantedQos((client as Client & { subscriptions?: GrantedSubscriptions }).subscriptions, packet);
      log.warn('forward denied', { client: client.id, username: identity?.username, role: identity?.role, topic: packet.topic, reason: decision.reason });
      return null;
    },
  };
  return { hooks, identityOf: (client) => who.get(client) };
}
