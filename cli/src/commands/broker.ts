import { join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { IdentityStore, startBroker } from '@sitrep/broker';
import { createLogger } from '@sitrep/schemas';
import { parse, port } from '../args.js';
import { DEFAULT_UI_DIR } from '../hub/hub.js';
import { runUntilSignal } from '../lifecycle.js';
import { BROKER_STORE_OPTIONS, brokerStore, brokerStoreHelp } from './broker-store.js';

export const BROKER_HELP = `sitrep broker: the embedded MQTT broker alone (identities from DATA/identities.json)

Options:
  --data DIR        data directory                      default ./data
  --host ADDR       address to listen on                default 127.0.0.1
  --mqtt-port N     MQTT over TCP                       default 1883
  --http-port N     dashboard + MQTT over WebSocket     default 8080
  --ui DIR          built dashboard to serve            default ui/dist
${brokerStoreHelp(18, 36)}`;

export async function brokerCommand(argv: string[]): Promise<void> {
  const v = parse('broker', argv, {
    data: { type: 'string' },
    host: { type: 'string' },
    'mqtt-port': { type: 'string' },
    'http-port': { type: 'string' },
    ui: { type: 'string' },
    ...BROKER_STORE_OPTIONS,
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return void process.stdout.write(BROKER_HELP);
  const dataDir = resolve(v.data ?? './data');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
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
  });
  log.info('listening', { mqtt: `${broker.host}:${broker.tcpPort}`, http: `${broker.host}:${broker.httpPort}` });
  await runUntilSignal(log, () => broker.close());
}
