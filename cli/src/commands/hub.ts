import { resolve } from 'node:path';
import { createLogger } from '@sitrep/schemas';
import { parse, port, seconds } from '../args.js';
import { BROKER_SECURITY_FLAGS, BROKER_SECURITY_HELP } from '../broker/security.js';
import { CliError } from '../errors.js';
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
  --config FILE      hub config: alerts, expected states, notifications, broker  default DATA/hub.yaml if present
${brokerStoreHelp(19, 51)}${BROKER_SECURITY_HELP}  --broker URL       use an external broker (e.g. Mosquitto with \`sitrep broker export-mosquitto\`)
                     instead of the embedded one; no dashboard is served then
`;

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
    broker: { type: 'string' },
    ...BROKER_SECURITY_FLAGS,
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return void process.stdout.write(HUB_HELP);
  if (v.broker !== undefined && !/^(mqtts?|wss?):\/\/\S+$/.test(v.broker)) throw new CliError(`--broker must be a URL such as mqtt://127.0.0.1:1883, got ${JSON.stringify(v.broker)}`);
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
    security: v,
    externalBroker: v.broker,
    log,
  });
  const login = hub.bootstrap.newAdminPassword
    ? `  user:      admin\n  password:  ${hub.bootstrap.newAdminPassword}\n  (shown once; also in ${hub.bootstrap.adminPasswordFile}, mode 0600: delete it once you have it)`
    : `  user:      admin\n  password:  set at first start; see ${hub.bootstrap.adminPasswordFile} if you kept it`;
  const b = hub.broker;
  const mqtt =
    b === null || hub.url === null
      ? [`  MQTT:      ${hub.mqttUrl}  (external broker)`]
      : [
          `  MQTT:      mqtt://${b.plainHost}:${b.tcpPort}  (WebSocket: ${hub.url.replace(/^http/, 'ws')}mqtt)`,
          ...(b.tlsPort === null ? [] : [`  MQTTS:     mqtts://${b.host}:${b.tlsPort}`]),
        ];
  process.stdout.write(
    [
      '',
      'sitrep hub is running',
      `  dashboard: ${hub.url ?? 'not served with an external broker'}`,
      login,
      ...mqtt,
      `  database:  ${hub.dbPath}`,
      hub.agent ? `  local agent: node ${hub.agent.node}` : '  local agent: off',
      'Press Ctrl-C to stop.',
      '',
    ].join('\n'),
  );
  await runUntilSignal(log, () => hub.stop(), hub.died);
}
