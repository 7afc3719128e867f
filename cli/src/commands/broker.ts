import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IdentityStore, startBroker } from '@sitrep/broker';
import { createLogger } from '@sitrep/schemas';
import { parse, port } from '../args.js';
import { BROKER_SECURITY_FLAGS, BROKER_SECURITY_HELP, brokerSecurity } from '../broker/security.js';
import { exportMosquittoCommand } from './broker-export.js';
import { DEFAULT_UI_DIR } from '../hub/hub.js';
import { loadHubConfig } from '../hub/config.js';
import { runUntilSignal } from '../lifecycle.js';
import { BROKER_STORE_OPTIONS, brokerStore, brokerStoreHelp } from './broker-store.js';

export const BROKER_HELP = `sitrep broker: the embedded MQTT broker alone (identities from DATA/identities.json)

Usage:
  sitrep broker [options]
  sitrep broker export-mosquitto --out DIR    identities and ACLs as Mosquitto files (--help)

Options:
  --data DIR         data directory                      default ./data
  --config FILE      hub config (its broker: section)    default DATA/hub.yaml if present
  --host ADDR        address to listen on                default 127.0.0.1
  --mqtt-port N      plain MQTT over TCP (loopback only when --host is public and TLS is on)  default 1883
  --http-port N      dashboard + MQTT over WebSocket     default 8080
  --ui DIR           built dashboard to serve            default ui/dist
${brokerStoreHelp(19, 36)}${BROKER_SECURITY_HELP}`;

export async function brokerCommand(argv: string[]): Promise<void> {
  if (argv[0] === 'export-mosquitto') return exportMosquittoCommand(argv.slice(1));
  const v = parse('broker', argv, {
    data: { type: 'string' },
    config: { type: 'string' },
    host: { type: 'string' },
    'mqtt-port': { type: 'string' },
    'http-port': { type: 'string' },
    ui: { type: 'string' },
    ...BROKER_STORE_OPTIONS,
    ...BROKER_SECURITY_FLAGS,
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return void process.stdout.write(BROKER_HELP);
  const dataDir = resolve(v.data ?? './data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const configPath = v.config ?? join(dataDir, 'hub.yaml');
  const config = loadHubConfig(configPath, v.config !== undefined);
  const security = brokerSecurity(v, config.broker, existsSync(configPath) ? configPath : undefined);
  const identities = IdentityStore.open(join(dataDir, 'identities.json'));
  const log = createLogger('broker');
  if (identities.list().length === 0) log.warn('no identities yet: nobody can connect (the hub creates them on first start)');
  const broker = await startBroker({
    identities,
    log,
    host: v.host ?? '127.0.0.1',
    tcpPort: port('mqtt-port', v['mqtt-port'], 1883),
    httpPort: port('http-port', v['http-port'], 8080),
    uiDir: v.ui ?? DEFAULT_UI_DIR,
    persistence: brokerStore(dataDir, v),
    ...security,
  });
  log.info('listening', {
    mqtt: `${broker.plainHost}:${broker.tcpPort}`,
    mqtts: broker.tlsPort === null ? undefined : `${broker.host}:${broker.tlsPort}`,
    [broker.tls ? 'https' : 'http']: `${broker.host}:${broker.httpPort}`,
  });
  await runUntilSignal(log, () => broker.close());
}
