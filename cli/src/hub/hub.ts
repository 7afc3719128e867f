/**
 * The whole hub in one process: broker (TCP + WebSocket + dashboard), projector and a local agent,
 * each talking MQTT over real loopback sockets exactly as they would on separate machines. The
 * projector runs in a worker thread of its own (projector-thread.ts), so its SQLite work and the
 * broker use both cores and never wait for each other.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveAgentConfig, startAgent, type RunningAgent } from '@sitrep/agent';
import { METRICS_CONTENT_TYPE, openMetricsReader, projectorDbPath, renderFleetMetrics, type Db } from '@sitrep/projector';
import { startBroker, type PersistenceOptions, type RunningBroker } from '@sitrep/broker';
import { DEFAULT_PREFIX, nodeIdFromHostname, type Logger } from '@sitrep/schemas';
import { brokerSecurity, type BrokerSecurityFlags } from '../broker/security.js';
import { bootstrapHub, type Bootstrap } from './bootstrap.js';
import { loadHubConfig } from './config.js';
import { localAgentDirs } from './local-agent-dirs.js';
import { METRICS_PATH, metricsRoute } from '../metrics/route.js';
import { startProjectorThread, type ProjectorThread } from './projector-thread.js';

export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../../ui/dist', import.meta.url));

export interface HubOptions {
  dataDir: string;
  host: string;
  mqttPort: number;
  httpPort: number;
  /** Run a local agent for this machine (default true). */
  agent: boolean;
  node?: string | undefined;
  intervalSeconds: number;
  uiDir?: string | undefined;
  prefix?: string;
  /** hub.yaml; default <dataDir>/hub.yaml when it exists. */
  configPath?: string | undefined;
  /** Broker state; default a SQLite file, DATA/broker.db. */
  brokerPersistence?: PersistenceOptions;
  /** TLS and plain-listener flags of the embedded broker (override hub.yaml's broker: section). */
  security?: BrokerSecurityFlags;
  /**
   * An external broker (Mosquitto, EMQX...) instead of the embedded one: the projector and the local
   * agent connect there with the hub's internal identities; no dashboard is served.
   */
  externalBroker?: string | undefined;
  log: Logger;
}

export interface RunningHub {
  /** null with an external broker. */
  broker: RunningBroker | null;
  /** The MQTT URL the hub's own clients use. */
  mqttUrl: string;
  /** The projector, in its own thread. */
  projector: ProjectorThread;
  /** Resolves with why when a part of the hub ends on its own (the projector thread); then stop the rest. */
  died: Promise<Error>;
  agent: RunningAgent | null;
  bootstrap: Bootstrap;
  /** The dashboard; null with an external broker. */
  url: string | null;
  dbPath: string;
  stop(): Promise<void>;
}

export async function startHub(opts: HubOptions): Promise<RunningHub> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const node = opts.node ?? nodeIdFromHostname(hostname());
  const configPath = opts.configPath ?? join(dataDir, 'hub.yaml');
  const hubConfig = loadHubConfig(configPath, opts.configPath !== undefined);
  const bootstrap = await bootstrapHub(dataDir, node);
  const uiDir = opts.uiDir ?? DEFAULT_UI_DIR;
  if (opts.externalBroker === undefined && !existsSync(join(uiDir, 'index.html'))) {
    opts.log.warn('the dashboard is not built; run `pnpm --filter @sitrep/ui build`', { uiDir });
  }

  const dbPath = projectorDbPath(dataDir);
  let projector: ProjectorThread | undefined;
  // /metrics reads the projector's database through a read-only connection of this thread,
  // opened once the projector has created it.
  let reader: Db | undefined;
  const metrics = metricsRoute({
    identities: bootstrap.identities,
    log: opts.log.child('metrics'),
    render: () => (reader === undefined ? null : { body: renderFleetMetrics(reader, Date.now()), contentType: METRICS_CONTENT_TYPE }),
  });
  const broker =
    opts.externalBroker !== undefined
      ? null
      : await startBroker({
          identities: bootstrap.identities,
          log: opts.log.child('broker'),
          prefix,
          host: opts.host,
          tcpPort: opts.mqttPort,
          httpPort: opts.httpPort,
          uiDir,
          httpRoutes: new Map([[METRICS_PATH, metrics]]),
          persistence: opts.brokerPersistence ?? { kind: 'sqlite', path: join(dataDir, 'broker.db') },
          ...brokerSecurity(opts.security ?? {}, hubConfig.broker, existsSync(configPath) ? configPath : undefined),
        });
  // Internal clients always use loopback (plain MQTT stays there), whatever address is exposed.
  const local = broker === null ? (opts.externalBroker as string) : `mqtt://127.0.0.1:${broker.tcpPort}`;
  let agent: RunningAgent | null = null;
  try {
    projector = startProjectorThread({ dbPath, broker: { url: local, prefix, ...bootstrap.secrets.projector }, hub: hubConfig }, opts.log.child('projector'));
    await projector.ready;
    reader = openMetricsReader(dbPath);
    if (opts.agent) {
      const dirs = localAgentDirs(dataDir);
      const config = resolveAgentConfig(
        {
          node,
          broker: { url: local, prefix, username: bootstrap.secrets.agent.username, password: bootstrap.secrets.agent.password },
          interval: opts.intervalSeconds,
          stateDir: dirs.stateDir,
          checks: { dir: dirs.checksDir },
          processesDir: dirs.processesDir,
        },
        'hub',
      );
      agent = await startAgent({ config, log: opts.log.child('agent') });
    }
  } catch (err) {
    reader?.close();
    await projector?.stop().catch(() => undefined);
    await broker?.close();
    throw err;
  }

  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? hostname() : opts.host;
  const running = projector;
  return {
    broker,
    mqttUrl: local,
    projector: running,
    died: running.died,
    agent,
    bootstrap,
    dbPath,
    url: broker === null ? null : `${broker.tls ? 'https' : 'http'}://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${broker.httpPort}/`,
    async stop() {
      await agent?.stop().catch((err: Error) => opts.log.error('agent stop failed', { error: err.message }));
      await running.stop().catch((err: Error) => opts.log.error('projector stop failed', { error: err.message }));
      const r = reader;
      reader = undefined;
      r?.close();
      await broker?.close();
    },
  };
}
