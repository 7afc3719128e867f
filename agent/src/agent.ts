/**
 * The agent: connects with a will on its status topic, publishes status, birth and metrics
 * (retained, QoS 1), numbered events, answers commands, and reconnects forever with jittered
 * backoff. State publishes are queued by mqtt.js while offline with unique message ids, so a long
 * queue cannot lose messages to message-id reuse (NOTES-mqtt.md).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import mqtt, { UniqueMessageIdProvider, type MqttClient } from 'mqtt';
import {
  codecs,
  createTopics,
  type AgentEvent,
  type Birth,
  type Logger,
  type Metrics,
  type Status,
} from '@sitrep/schemas';
import { handleCommand } from './commands/handle.js';
import type { ResolvedAgentConfig } from './config/load.js';
import { collectHostInfo } from './collectors/host-info.js';
import { collectMetrics } from './collectors/metrics.js';
import { Sequence } from './events/sequence.js';
import { reconnectDelay } from './mqtt/backoff.js';

export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

export interface AgentOptions {
  config: ResolvedAgentConfig;
  log: Logger;
  now?: () => number;
  /** Replaceable for tests that need deterministic numbers; the default reads the real host. */
  collectMetrics?: (node: string) => Promise<Metrics>;
}

export interface RunningAgent {
  readonly node: string;
  readonly session: string;
  readonly client: MqttClient;
  /** Collect and publish one metrics snapshot now (when connected). */
  publishMetrics(): Promise<void>;
  stop(): Promise<void>;
}

type EventOf<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;

const newSession = () => randomBytes(6).toString('hex');
const QOS1_RETAINED = { qos: 1, retain: true } as const;

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const { config, log } = opts;
  const now = opts.now ?? Date.now;
  const collect = opts.collectMetrics ?? ((node: string) => collectMetrics(node, now));
  const node = config.node;
  const t = createTopics(config.broker.prefix);
  const seq = new Sequence(config.stateDir);
  const host = await collectHostInfo(now);

  let session = newSession();
  let sessionStarted = now();
  let attempt = 0;
  let startedEventSent = false;
  let stopping = false;

  const status = (state: Status['state']): Status => ({ v: 1, node, state, session, ts: state === 'lost' ? sessionStarted : now() });
  const will = () => ({ topic: t.status(node), payload: Buffer.from(JSON.stringify(status('lost'))), qos: 1 as const, retain: true });

  const client = mqtt.connect(config.broker.url, {
    protocolVersion: 4, // aedes speaks MQTT 3.1.1 only, and so does the contract.
    clientId: `sitrep-agent-${node}-${randomBytes(3).toString('hex')}`,
    clean: true,
    username: config.broker.username,
    password: config.broker.password,
    keepalive: 30,
    connectTimeout: 10_000,
    reconnectPeriod: reconnectDelay(0),
    queueQoSZero: false,
    messageIdProvider: new UniqueMessageIdProvider(),
    will: will(),
  });

  const birth = (): Birth => ({
    v: 1,
    node,
    session,
    ts: now(),
    agent: { version: AGENT_VERSION, pid: process.pid },
    host,
    interval: config.interval / 1000,
    services: [],
    checks: [],
  });

  function publishJson(topic: string, value: unknown, options: { qos: 0 | 1; retain: boolean }): void {
    client.publish(topic, JSON.stringify(value), options, (err) => {
      if (err && !stopping) log.warn('publish failed', { topic, error: err.message });
    });
  }

  function emit<T extends AgentEvent['type']>(type: T, data: EventOf<T>['data']): void {
    const event = { v: 1, node, session, seq: seq.next(), ts: now(), type, data } as EventOf<T>;
    // Our own output is checked too: an invalid event would be a dead letter at the projector.
    const problem = codecs.event.problem(event);
    if (problem !== null) log.error('refusing to publish an invalid event', { type, reason: problem });
    else publishJson(t.events(node), event, { qos: 1, retain: false });
  }

  let collecting = false;
  async function publishMetrics(): Promise<void> {
    if (!client.connected || collecting) return;
    collecting = true;
    try {
      publishJson(t.metrics(node), await collect(node), QOS1_RETAINED);
    } catch (err) {
      log.warn('metrics collection failed', { error: (err as Error).message });
    } finally {
      collecting = false;
    }
  }

  async function announce(): Promise<void> {
    publishJson(t.status(node), status('online'), QOS1_RETAINED);
    publishJson(t.birth(node), birth(), QOS1_RETAINED);
    await publishMetrics();
  }

  client.on('connect', () => {
    attempt = 0;
    log.info('connected', { broker: config.broker.url, node, session });
    client.subscribe(t.cmd(node), { qos: 1 }, (err) => {
      if (err) log.error('cannot subscribe to commands', { topic: t.cmd(node), error: err.message });
    });
    void announce().then(() => {
      if (!startedEventSent) {
        startedEventSent = true;
        emit('AgentStarted', { version: AGENT_VERSION, pid: process.pid });
      }
    });
  });

  client.on('close', () => {
    if (stopping) return;
    // A new connection is a new session; the will must carry it (DESIGN.md section 4).
    session = newSession();
    sessionStarted = now();
    client.options.will = will();
    client.options.reconnectPeriod = reconnectDelay(++attempt);
    log.warn('disconnected, reconnecting', { inMs: client.options.reconnectPeriod, attempt });
  });

  client.on('error', (err) => {
    const code = (err as { code?: number }).code;
    if (code === 4 || code === 5) log.error('broker refused the credentials', { username: config.broker.username });
    else log.warn('connection error', { error: err.message });
  });

  client.on('message', (topic, payload) => {
    if (topic !== t.cmd(node)) return;
    void handleCommand({ node, now, rebirth: announce }, payload).then(({ result, event }) => {
      log.info('command answered', { id: result.id, action: result.action, target: result.target, outcome: result.outcome });
      publishJson(t.cmdResult(node), result, { qos: 1, retain: false });
      emit('CommandCompleted', event);
    });
  });

  const timer = setInterval(() => void publishMetrics(), config.interval);

  return {
    node,
    get session() {
      return session;
    },
    client,
    publishMetrics,
    async stop() {
      stopping = true;
      clearInterval(timer);
      if (client.connected) {
        // Replace the retained status with a clean `offline`; the will must not fire.
        await client.publishAsync(t.status(node), JSON.stringify(status('offline')), QOS1_RETAINED).catch(() => undefined);
      }
      await client.endAsync();
      log.info('stopped', { node });
    },
  };
}
