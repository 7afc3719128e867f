/**
 * The whole hub in one process: broker (TCP + WebSocket + dashboard), projector and a local agent,
 * each talking MQTT over real loopback sockets exactly as they would on separate machines.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveAgentConfig, startAgent, type RunningAgent } from '@sitrep/agent';
import { METRICS_CONTENT_TYPE, projectorDbPath, renderFleetMetrics, startProjector, type RunningProjector } from '@sitrep/projector';
import { startBroker, type PersistenceOptions, type RunningBroker } from '@sitrep/broker';
import { DEFAULT_PREFIX, nodeIdFromHostname, type Logger } from '@sitrep/schemas';
import { bootstrapHub, type Bootstrap } from './bootstrap.js';
import { loadHubConfig } from './config.js';
import { METRICS_PATH, metricsRoute } from '../metrics/route.js';

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
  log: Logger;
}

export interface RunningHub {
  broker: RunningBroker;
  projector: RunningProjector;
  agent: RunningAgent | null;
  bootstrap: Bootstrap;
  url: string;
  dbPath: string;
  stop(): Promise<void>;
}

export async function startHub(opts: HubOptions): Promise<RunningHub> {
  const dataDir = resolve(opts.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const prefix = opts.prefix ?? DEFAULT_PREFIX;
  const node = opts.node ?? nodeIdFromHostname(hostname());
  const hubConfig = loadHubConfig(opts.configPath ?? join(dataDir, 'hub.yaml'), opts.configPath !== undefined);
  const bootstrap = await bootstrapHub(dataDir, node);
  const uiDir = opts.uiDir ?? DEFAULT_UI_DIR;
  if (!existsSync(join(uiDir, 'index.html'))) {
    opts.log.warn('the dashboard is not built; run `pnpm --filter @sitrep/ui build`', { uiDir });
  }

  let projector: RunningProjector | undefined;
  const metrics = metricsRoute({
    identities: bootstrap.identities,
    log: opts.log.child('metrics'),
    render: () => (projector === undefined ? null : { body: renderFleetMetrics(projector.db, Date.now()), contentType: METRICS_CONTENT_TYPE }),
  });
  const broker = await startBroker({
    identities: bootstrap.identities,
    log: opts.log.child('broker'),
    prefix,
    host: opts.host,
    tcpPort: opts.mqttPort,
    httpPort: opts.httpPort,
    uiDir,
    httpRoutes: new Map([[METRICS_PATH, metrics]]),
    persistence: opts.brokerPersistence ?? { kind: 'sqlite', path: join(dataDir, 'broker.db') },
  });
  // Internal clients always use loopback, whatever address the broker is exposed on.
  const local = `mqtt://127.0.0.1:${broker.tcpPort}`;
  const dbPath = projectorDbPath(dataDir);
  let agent: RunningAgent | null = null;
  try {
    projector = startProjector({ dbPath, broker: { url: local, prefix, ...bootstrap.secrets.projector }, hub: hubConfig, log: opts.log.child('projector') });
    await projector.ready;
    if (opts.agent) {
      const config = resolveAgentConfig(
        {
          node,
          broker: { url: local, prefix, username: bootstrap.secrets.agent.username, password: bootstrap.secrets.agent.password },
          interval: opts.intervalSeconds,
          stateDir: join(dataDir, 'agent'),
          checks: { dir: join(dataDir, 'checks.d') },
        },
        'hub',
      );
      agent = await startAgent({ config, log: opts.log.child('agent') });
    }
  } catch (err) {
    await projector?.stop().catch(() => undefined);
    await broker.close();
    throw err;
  }

  const shownHost = opts.host === '0.0.0.0' || opts.host === '::' ? hostname() : opts.host;
  const running = projector;
  return {
    broker,
    projector: running,
    agent,
    bootstrap,
    dbPath,
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${broker.httpPort}/`,
    async stop() {
      await agent?.stop().catch((err: Error) => opts.log.error('agent stop failed', { error: err.message }));
      await running.stop().catch((err: Error) => opts.log.error('projector stop failed', { error: err.message }));
      await broker.close();
    },
  };
}
