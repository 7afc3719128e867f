/**
 * The dashboard's one MQTT connection. This module alone owns the socket: it logs in, tracks the
 * connection state, subscribes for each registered feed on every connect, parses every incoming
 * topic once and hands the message to the feed that handles that topic kind. Rejected messages of
 * any feed are counted and logged here, with the topic and the reason.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { getCurrentScope, onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import { createTopics, type ParsedTopic, type TopicKind, type Topics } from '@sitrep/schemas';
import { clientOptions, reconnectDelay, type Credentials } from '../mqtt/client-options.js';
import { ConnectionError, toConnectionError } from '../mqtt/connection-error.js';

export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'refused';

/** A consumer of some topic kinds, e.g. the fleet's status, birth and metrics. */
export interface Feed {
  readonly kinds: readonly TopicKind[];
  /** Subscribed on every connect, at SUBSCRIBE_QOS. */
  readonly filters: readonly string[];
  /** Subscribed only once the session's gate has opened on this connect (see MqttSession.setGate). */
  readonly gated?: boolean;
  /** Called before each subscribe: with a clean session the broker resends all retained state. */
  reset(): void;
  /** Apply one message; returns why it was rejected, or null. */
  receive(topic: ParsedTopic, payload: Uint8Array): string | null;
}

/**
 * The ui subscribes at QoS 0. Its session is clean, so QoS 1 would not carry anything across a
 * reconnect (every connect subscribes again and receives retained state afresh); on a live
 * connection TCP already delivers in order. What QoS 1 would add is a PUBACK from the browser for
 * every message: 10,000 acknowledgements for the retained state of a 500-node fleet at connect.
 */
export const SUBSCRIBE_QOS = 0;

export type Connect = (url: string, options: IClientOptions) => MqttClient;

export interface MqttOptions {
  /** `ws(s)://host/path` of the broker. */
  url: string;
  prefix: string;
  /** Opens the client; tests pass a fake. */
  connect?: Connect;
  /**
   * A socket already opening for `url` (index.html's early start, boot/early-start.ts), used for
   * the first connect instead of a new one; null when there is none.
   */
  takeSocket?: (url: string) => WebSocket | null;
}

type ReadonlyRef<T> = Readonly<ShallowRef<T>>;

export interface MqttSession {
  readonly topics: Topics;
  readonly state: ReadonlyRef<ConnectionState>;
  /** The last connection problem; cleared on a successful connect or a new login. */
  readonly error: ReadonlyRef<ConnectionError | null>;
  /** Who is logged in (or trying to), or null. */
  readonly user: ReadonlyRef<string | null>;
  /** Messages ignored since the last connect because their topic or payload was invalid. */
  readonly invalidCount: ReadonlyRef<number>;
  /** The MQTT client id of the current login (names this tab's reply topic), or null. */
  readonly clientId: ReadonlyRef<string | null>;
  /** Bumped on every successful connect: consumers re-ask what a reconnect made stale. */
  readonly connects: ReadonlyRef<number>;
  login(creds: Credentials): void;
  logout(): void;
  /** Publish at QoS 1; rejects when not connected or when the broker refuses. */
  publish(topic: string, payload: string): Promise<void>;
  /** Register a feed; returns its removal. Each topic kind belongs to one feed. */
  addFeed(feed: Feed): () => void;
  /**
   * What gated feeds wait for on every connect, run once the other feeds are subscribed (so a
   * query can be answered); they subscribe when it settles, whether it resolves or rejects. The
   * gate must settle on its own (e.g. with a timeout). Null: gated feeds subscribe at once.
   */
  setGate(gate: Gate | null): void;
}

export type Gate = () => Promise<void>;

export function useMqtt(opts: MqttOptions): MqttSession {
  const topics = createTopics(opts.prefix);
  const connect = opts.connect ?? mqtt.connect;
  const state = shallowRef<ConnectionState>('idle');
  const error = shallowRef<ConnectionError | null>(null);
  const user = shallowRef<string | null>(null);
  const invalidCount = shallowRef(0);
  const clientId = shallowRef<string | null>(null);
  const connects = shallowRef(0);
  const feeds = new Map<TopicKind, Feed>();
  let client: MqttClient | null = null;
  let gate: Gate | null = null;
  /** The connect whose gate has opened, so a feed added later subscribes at once. */
  let openedFor: number | null = null;

  function subscribe(c: MqttClient, feed: Feed, reset = true): void {
    if (reset) feed.reset();
    c.subscribe([...feed.filters], { qos: SUBSCRIBE_QOS }, (err) => {
      if (err === null || err === undefined || client !== c) return;
      error.value = new ConnectionError('SUBSCRIBE_DENIED', `Not allowed to read ${feed.kinds.join(', ')}: ${err.message}`);
      console.warn(`sitrep: subscribe to ${feed.filters.join(' ')} failed: ${err.message}`);
    });
  }

  function receive(topic: string, payload: Uint8Array): void {
    const parsed = topics.parse(topic);
    let reason: string | null;
    if (!parsed.ok) reason = parsed.reason;
    else {
      const feed = feeds.get(parsed.topic.kind);
      reason = feed === undefined ? `no feed handles ${parsed.topic.kind} topics` : feed.receive(parsed.topic, payload);
    }
    if (reason === null) return;
    invalidCount.value += 1;
    console.warn(`sitrep: ignored message on ${topic}: ${reason}`);
  }

  function login(creds: Credentials): void {
    globalThis.performance?.mark?.('sitrep:login');
    logout();
    error.value = null;
    state.value = 'connecting';
    user.value = creds.username;
    // The credentials stay in this client's options for its reconnects (useAuth keeps them in
    // sessionStorage so a reload of this tab stays logged in).
    const options = clientOptions(creds);
    const take = opts.takeSocket;
    if (take !== undefined) options.createWebsocket = (url: string, protocols: string[]) => take(url) ?? new WebSocket(url, protocols);
    const c = connect(opts.url, options);
    client = c;
    clientId.value = options.clientId ?? null;
    // Every handler first checks that `c` is still the current client: a replaced or ended
    // client may still emit while it winds down.
    c.on('connect', () => {
      if (client !== c) return;
      globalThis.performance?.mark?.('sitrep:connected');
      state.value = 'connected';
      error.value = null;
      // Retained state is delivered again on every connect, and so are its invalid messages:
      // counting from zero keeps one bad retained payload from adding up across reconnects.
      invalidCount.value = 0;
      const all = [...new Set(feeds.values())];
      // Every feed starts empty now; gated ones subscribe (without a second reset) once the gate opens.
      for (const feed of all) if (feed.gated === true) feed.reset();
      for (const feed of all) if (feed.gated !== true) subscribe(c, feed);
      openedFor = null;
      connects.value += 1;
      const mine = connects.value;
      const open = () => {
        if (client !== c || connects.value !== mine || state.value !== 'connected') return;
        openedFor = mine;
        globalThis.performance?.mark?.('sitrep:subscribed-all');
        for (const feed of new Set(feeds.values())) if (feed.gated === true) subscribe(c, feed, false);
      };
      if (gate === null) open();
      else {
        const g = gate;
        void Promise.resolve().then(g).then(open, open);
      }
    });
    c.on('offline', () => {
      if (client !== c) return;
      state.value = 'disconnected';
      // mqtt.js emits `offline` just before it arms the reconnect timer with this option, so each
      // outage gets a freshly jittered delay.
      c.options.reconnectPeriod = reconnectDelay();
    });
    c.on('reconnect', () => {
      if (client === c) state.value = 'reconnecting';
    });
    c.on('error', (err) => {
      if (client !== c) return;
      const coded = toConnectionError(err);
      error.value = coded;
      console.warn(`sitrep: mqtt ${coded.code}: ${err.message}`);
      if (!coded.fatal) return;
      // Retrying cannot fix bad credentials: stop, and let the login form say why.
      client = null;
      user.value = null;
      state.value = 'refused';
      c.end(true);
    });
    c.on('message', (topic, payload) => {
      if (client === c) receive(topic, payload);
    });
  }

  function logout(): void {
    const c = client;
    client = null;
    user.value = null;
    clientId.value = null;
    state.value = 'idle';
    c?.end(true);
  }

  function publish(topic: string, payload: string): Promise<void> {
    const c = client;
    if (c === null || state.value !== 'connected') return Promise.reject(new ConnectionError('TRANSPORT', 'Not connected.'));
    return new Promise((resolve, reject) => {
      c.publish(topic, payload, { qos: 1 }, (err) => (err ? reject(toConnectionError(err)) : resolve()));
    });
  }

  function addFeed(feed: Feed): () => void {
    for (const kind of feed.kinds) {
      if (feeds.has(kind)) throw new Error(`topic kind ${kind} already has a feed`);
    }
    for (const kind of feed.kinds) feeds.set(kind, feed);
    if (client !== null && state.value === 'connected' && (feed.gated !== true || openedFor === connects.value)) subscribe(client, feed);
    return () => {
      for (const kind of feed.kinds) if (feeds.get(kind) === feed) feeds.delete(kind);
      if (client !== null && state.value === 'connected') client.unsubscribe([...feed.filters]);
    };
  }

  if (getCurrentScope() !== undefined) onScopeDispose(logout);

  function setGate(g: Gate | null): void {
    gate = g;
  }

  return { topics, state, error, user, invalidCount, clientId, connects, login, logout, publish, addFeed, setGate };
}
