/**
 * The agent: connects with a will on its status topic; publishes status, birth, metrics and
 * service states (retained, QoS 1) and numbered, spooled events; answers commands; reconnects
 * forever with jittered backoff. mqtt.js runs with unique message ids so a long offline queue
 * cannot lose messages to message-id reuse (NOTES-mqtt.md).
 */
import { readFileSync } from 'node:fs';
import mqtt, { UniqueMessageIdProvider, type MqttClient } from 'mqtt';
import { createTopics, type Birth, type Logger, type Metrics, type Status } from '@sitrep/schemas';
import { handleCommand, type ServiceAction } from './commands/handle.js';
import { createRateLimiter } from './commands/rate-limit.js';
import type { ResolvedAgentConfig } from './config/load.js';
import { collectHostInfo } from './collectors/host-info.js';
import { createMetricsCollector } from './collectors/proc-metrics.js';
import { createUpdatesChecker } from './collectors/updates.js';
import { EventPublisher } from './events/publisher.js';
import { Sequence } from './events/sequence.js';
import { EventSpool } from './events/spool.js';
import { reconnectDelay } from './mqtt/backoff.js';
import { startHomeAssistant } from './homeassistant/index.js';
import { randomHex } from './random-hex.js';
import { startUnitServices, type UnitServices } from './services/units.js';
import { startProcessServices, type ProcessServices } from './services/processes.js';
import { LogFeed, startLocalControl } from './ipc/index.js';
import { createCheckScheduler, toCheckCompletedData, toCheckResultPayload, toWatchedChecks, type CheckScheduler } from './checks/index.js';

export const AGENT_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** Service memory/CPU are republished every this many metrics intervals (state changes at once). */
const RESOURCE_EVERY_INTERVALS = 6;

export interface AgentOptions {
  config: ResolvedAgentConfig;
  log: Logger;
  now?: () => number;
  /** Replaceable for tests that need deterministic numbers; the default reads the real host. */
  collectMetrics?: (node: string) => Promise<Metrics>;
  /** Watch units by polling `systemctl show` even when D-Bus is there (tests of the fallback). */
  forcePoll?: boolean;
}

export interface RunningAgent {
  readonly node: string;
  readonly session: string;
  readonly client: MqttClient;
  readonly services: UnitServices;
  readonly checks: CheckScheduler;
  readonly processes: ProcessServices;
  /** Collect and publish one metrics snapshot now (when connected). */
  publishMetrics(): Promise<void>;
  stop(): Promise<void>;
}

const newSession = () => randomHex(6);
const RETAINED = { qos: 1, retain: true } as const;

export async function startAgent(opts: AgentOptions): Promise<RunningAgent> {
  const { config, log } = opts;
  const now = opts.now ?? Date.now;
  // One collector per agent: it keeps the previous counters that CPU and network rates need.
  const metrics = createMetricsCollector({ now, log: log.child('metrics') });
  const updates = config.updates.enabled
    ? createUpdatesChecker({ every: config.updates.every, timeout: config.updates.timeout, log: log.child('updates'), now })
    : null;
  const collect =
    opts.collectMetrics ??
    (async (node: string) => {
      const m = await metrics.collect(node);
      const u = updates?.latest();
      // undefined: not checked yet, so the field is left out rather than claiming "none".
      return u === undefined ? m : { ...m, updates: u };
    });
  const node = config.node;
  const t = createTopics(config.broker.prefix);
  const seq = new Sequence(config.stateDir);
  const spool = new EventSpool(config.stateDir, config.spool.maxEvents);
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
    clientId: `sitrep-agent-${node}-${randomHex(3)}`,
    clean: true,
    username: config.broker.username,
    password: config.broker.password,
    keepalive: 30,
    connectTimeout: 10_000,
    reconnectPeriod: reconnectDelay(0),
    queueQoSZero: false,
    messageIdProvider: new UniqueMessageIdProvider(),
    // mqtt-packet otherwise pre-builds a 2-byte Buffer for each of the 65536 message ids: 6 MB of heap.
    writeCache: false,
    will: will(),
    // Connect only once everything below is wired: the first CONNACK triggers announce().
    manualConnect: true,
  });

  function publishJson(topic: string, value: unknown, options: { qos: 0 | 1; retain: boolean }): void {
    client.publish(topic, value === null ? '' : JSON.stringify(value), options, (err) => {
      if (err && !stopping) log.warn('publish failed', { topic, error: err.message });
    });
  }

  const events = new EventPublisher({ client, topic: t.events(node), node, session: () => session, seq, spool, log, now });
  // Every log batch also goes to the local followers of `sitrep logs -f` (ipc/).
  const logFeed = new LogFeed();

  const services = await startUnitServices({
    config,
    log,
    now,
    events,
    forcePoll: opts.forcePoll ?? !config.systemd.useDbus,
    publishState: (unit, state) => publishJson(t.service(node, unit), state, RETAINED),
    publishLogs: (unit, batch) => {
      logFeed.push(unit, batch.lines);
      if (client.connected) publishJson(t.logs(node, unit), batch, { qos: 0, retain: false });
    },
    onWatchListChanged: () => {
      if (client.connected) publishJson(t.birth(node), birth(), RETAINED);
    },
  });

  // Scheduled checks and probes: results go to retained `checks/{id}` and CheckCompleted events.
  const probeActions = new Map(config.probes.map((p) => [p.id, p.actions]));
  let knownChecks = new Set<string>();
  const checks = createCheckScheduler({
    checksDir: config.checks.dir,
    probes: config.probes,
    defaultTimeoutMs: config.checks.defaultTimeout,
    maxOutputBytes: config.checks.maxOutputBytes,
    stateDir: config.stateDir,
    log: log.child('checks'),
    now,
    onResult: (_info, r) => {
      publishJson(t.check(node, r.check), toCheckResultPayload(node, r), RETAINED);
      events.emit('CheckCompleted', toCheckCompletedData(r));
    },
    onInvalid: (file, err) => log.warn('check refused', { file, reason: err.message }),
    onChange: (list) => {
      // A check that left the directory leaves the bus too: clear its retained result.
      const ids = new Set(list.map((c) => c.id));
      for (const gone of knownChecks) if (!ids.has(gone)) publishJson(t.check(node, gone), null, RETAINED);
      knownChecks = ids;
      if (client.connected) publishJson(t.birth(node), birth(), RETAINED);
    },
  });
  const checkRunnable = (id: string) =>
    checks.list().find((c) => c.id === id && (c.kind === 'probe' ? (probeActions.get(id) ?? []).includes('run') : config.checks.allowRun === true || (Array.isArray(config.checks.allowRun) && config.checks.allowRun.includes(id))));

  const processes = await startProcessServices({
    config,
    log,
    now,
    events,
    publishState: (id, state) => publishJson(t.service(node, id), state, RETAINED),
    publishLogs: (id, batch) => {
      logFeed.push(id, batch.lines);
      if (client.connected) publishJson(t.logs(node, id), batch, { qos: 0, retain: false });
    },
    // Offline, snapshots would only pile up in the client's queue; announce() sends them again.
    publishTail: (id, tail) => {
      if (client.connected || tail === null) publishJson(t.logsTail(node, id), tail, RETAINED);
    },
    onWatchListChanged: () => {
      if (client.connected) publishJson(t.birth(node), birth(), RETAINED);
    },
  });
  const control = await startLocalControl({ node, stateDir: config.stateDir, log: log.child('control'), feed: logFeed, processes, units: services });

  function birth(): Birth {
    return {
      v: 1,
      node,
      session,
      ts: now(),
      agent: { version: AGENT_VERSION, pid: process.pid },
      host,
      interval: config.interval / 1000,
      services: [...services.watched(), ...processes.watched()],
      checks: toWatchedChecks(checks.list(), config.checks.allowRun, probeActions),
    };
  }

  let collecting = false;
  async function publishMetrics(): Promise<void> {
    if (!client.connected || collecting) return;
    collecting = true;
    try {
      const m = await collect(node);
      publishJson(t.metrics(node), m, RETAINED);
      homeassistant.onMetrics(m);
    } catch (err) {
      log.warn('metrics collection failed', { error: (err as Error).message });
    } finally {
      collecting = false;
    }
  }

  /** Everything retained, again: after a (re)connect the broker may have lost it. */
  async function announce(): Promise<void> {
    publishJson(t.status(node), status('online'), RETAINED);
    publishJson(t.birth(node), birth(), RETAINED);
    for (const s of services.states()) publishJson(t.service(node, s.service), s, RETAINED);
    processes.announce();
    await publishMetrics();
  }

  client.on('connect', () => {
    attempt = 0;
    log.info('connected', { broker: config.broker.url, node, session, units: services.sourceKind });
    client.subscribe(t.cmd(node), { qos: 1 }, (err) => {
      if (err) log.error('cannot subscribe to commands', { topic: t.cmd(node), error: err.message });
    });
    void announce().then(() => {
      events.flush();
      if (!startedEventSent) {
        startedEventSent = true;
        events.emit('AgentStarted', { version: AGENT_VERSION, pid: process.pid });
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

  // 5 commands a second, bursts of 20: more than any person clicks, less than a runaway script.
  const commandRate = createRateLimiter(5, 20, now);
  client.on('message', (topic, payload) => {
    if (topic !== t.cmd(node)) return;
    const ctx = {
      allowNow: () => commandRate.take(),
      node,
      now,
      rebirth: announce,
      replay: (fromSeq: number) => events.replay(fromSeq),
      allowedActions: (target: string) => services.allowedActions(target) ?? processes.allowedActions(target),
      runAction: (action: ServiceAction, target: string) =>
        services.allowedActions(target) !== undefined && action !== 'kill'
          ? services.runUnitAction(action, target)
          : processes.command(target, action),
      runCheck: async (id: string) => {
        if (checks.list().every((c) => c.id !== id)) return { outcome: 'refused' as const, message: `${JSON.stringify(id)} is not a check of this agent` };
        if (checkRunnable(id) === undefined) return { outcome: 'refused' as const, message: `running check ${id} on demand is not allowed by this agent's config` };
        const r = await checks.runNow(id);
        return { outcome: 'ok' as const, message: `${r.status}: ${r.message}`.slice(0, 4096) };
      },
    };
    void handleCommand(ctx, payload).then(({ result, event }) => {
      log.info('command answered', { id: result.id, action: result.action, target: result.target, outcome: result.outcome });
      publishJson(t.cmdResult(node), result, { qos: 1, retain: false });
      events.emit('CommandCompleted', event);
    });
  });

  const homeassistant = startHomeAssistant({
    client, config: config.homeassistant, node, topics: t, stateDir: config.stateDir, machineId: host.machineId,
    version: AGENT_VERSION, inventory: birth, republishState: announce, log: log.child('homeassistant'),
  });
  client.connect();
  updates?.start();
  await checks.start();

  let ticks = 0;
  const timer = setInterval(() => {
    void publishMetrics();
    if (++ticks % RESOURCE_EVERY_INTERVALS === 0) {
      void services.refreshResources();
      processes.sample();
    }
  }, config.interval);

  return {
    node,
    get session() {
      return session;
    },
    client,
    services,
    checks,
    processes,
    publishMetrics,
    async stop() {
      clearInterval(timer);
      homeassistant.stop();
      updates?.stop();
      await checks.stop();
      await control?.close();
      await processes.stop();
      await services.stop();
      stopping = true;
      if (client.connected) {
        // Replace the retained status with a clean `offline`; the will must not fire.
        await client.publishAsync(t.status(node), JSON.stringify(status('offline')), RETAINED).catch(() => undefined);
      }
      await client.endAsync();
      log.info('stopped', { node });
    },
  };
}
