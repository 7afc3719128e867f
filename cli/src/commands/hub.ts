import { resolve } from 'node:path';
import { createLogger } from '@sitrep/schemas';
import { parse, port, seconds } from '../args.js';
import { startHub } from '../hub/hub.js';
import { runUntilSignal } from '../lifecycle.js';
import { BROKER_STORE_OPTIONS, brokerStore, brokerStoreHelp } from './broker-store.js';

export const HUB_HELP = `sitrep hub: broker, projector, dashboard and a local agent in one process

Options:
  --data DIR         data directory (identities, SQLite, agent state)   default ./data
  --host ADDR        address to listen on                               default 127.0.0.1
  --mqtt-port N      MQTT over TCP                                      default 1883
  --http-port N      dashboard and MQTT over WebSocket (/mqtt)          default 8080
  --node ID          node id of the local agent                         default: from hostname
  --interval S       local agent metrics interval, seconds              default 10
  --no-agent         do not run the local agent
  --ui DIR           directory of the built dashboard                   default ui/dist
  --config FILE      hub config: alerts, expected states, notifications default DATA/hub.yaml if present
${brokerStoreHelp(19, 51)}`;

export async function hubCommand(argv: string[]): Promise<void> {
  const v = parse('hub', argv, {
    data: { type: 'string' },
    host: { type: 'string' },
    'mqtt-port': { type: 'string' },
    'http-port': { type: 'string' },
    node: { type: 'string' },
    interval: { type: 'string' },
    'no-agent': { type: 'boolean' },
    ui: { type: 'string' },
    config: { type: 'string' },
    ...BROKER_STORE_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return void process.stdout.write(HUB_HELP);
  const log = createLogger('hub');
  const dataDir = v.data ?? './data';
  const hub = await startHub({
    dataDir,
    host: v.host ?? '127.0.0.1',
    mqttPort: port('mqtt-port', v['mqtt-port'], 1883),
    httpPort: port('http-port', v['http-port'], 8080),
    agent: v['no-agent'] !== true,
    node: v.node,
    intervalSeconds: seconds('interval', v.interval, 10),
    uiDir: v.ui,
    configPath: v.config,
    brokerPersistence: brokerStore(resolve(dataDir), v),
    log,
  });
  const login = hub.bootstrap.newAdminPassword
    ? `  user:      admin\n  password:  ${hub.bootstrap.newAdminPassword}\n  (shown once; also in ${hub.bootstrap.adminPasswordFile}, mode 0600: delete it once you have it)`
    : `  user:      admin\n  password:  set at first start; see ${hub.bootstrap.adminPasswordFile} if you kept it`;
  process.stdout.write(
    [
      '',
      'sitrep hub is running',
      `  dashboard: ${hub.url}`,
      login,
      `  MQTT:      mqtt://${hub.broker.host}:${hub.broker.tcpPort}  (WebSocket: ${hub.url.replace(/^http/, 'ws')}mqtt)`,
      `  database:  ${hub.dbPath}`,
      hub.agent ? `  local agent: node ${hub.agent.node}` : '  local agent: off',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await runUntilSignal(log, () => hub.stop());
}
