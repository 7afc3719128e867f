/**
 * `sitrep simulate`: a fleet of simulated nodes against a hub, each a real MQTT connection with its
 * own agent identity (enrolled in the hub's data directory), publishing over the real contract.
 * For load tests, benches and a dashboard demo.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLogger, DEFAULT_PREFIX } from '@sitrep/schemas';
import { BrokerUrl, TopicPrefix } from '@sitrep/schemas/config';
import { enrollSimulatedNodes, nodeIds, NODE_LIMIT, startFleet } from '@sitrep/simulator';
import { parse, seconds } from '../args.js';
import { CliError } from '../errors.js';
import { runUntilSignal } from '../lifecycle.js';

export const SIMULATE_HELP = `sitrep simulate: a simulated fleet, each node a real connection with its own identity

Usage: sitrep simulate [options]

Options:
  --data DIR           the hub's data directory (simulated agents are enrolled there)  default ./data
  --broker URL         the hub's MQTT address                      default mqtt://127.0.0.1:1883
  --nodes N            simulated nodes (1..${NODE_LIMIT})                   default 50
  --services M         systemd services per node (0..200)            default 20
  --checks K           checks per node (0..50)                       default 3
  --interval S         seconds between a node's updates              default 10
  --failure-rate P     chance a running service fails per interval   default 0.001
  --log-lines L        log lines per node per interval (0..100)      default 2
  --connect-rate R     new connections per second                    default 200
  --duration S         stop after S seconds                          default: until Ctrl-C
  --seed N             same seed, same fleet and failures            default 1
  --prefix TOPICS      topic prefix                                  default ${DEFAULT_PREFIX}

Nodes are named sim-0001, sim-0002, ... and enrolled as agent-sim-0001, ... sharing one generated
password kept in DIR/simulator.secret. Remove them with \`sitrep user remove\`.
`;

function int(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new CliError(`simulate: --${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

export async function simulateCommand(argv: string[]): Promise<void> {
  const v = parse('simulate', argv, {
    data: { type: 'string' },
    broker: { type: 'string' },
    nodes: { type: 'string' },
    services: { type: 'string' },
    checks: { type: 'string' },
    interval: { type: 'string' },
    'failure-rate': { type: 'string' },
    'log-lines': { type: 'string' },
    'connect-rate': { type: 'string' },
    duration: { type: 'string' },
    seed: { type: 'string' },
    prefix: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return void process.stdout.write(SIMULATE_HELP);
  const url = BrokerUrl.safeParse(v.broker ?? 'mqtt://127.0.0.1:1883');
  if (!url.success) throw new CliError(`simulate: --broker ${url.error.issues[0]?.message ?? 'is invalid'}`);
  const prefix = TopicPrefix.safeParse(v.prefix ?? DEFAULT_PREFIX);
  if (!prefix.success) throw new CliError(`simulate: --prefix ${prefix.error.issues[0]?.message ?? 'is invalid'}`);
  const failureRate = v['failure-rate'] === undefined ? 0.001 : Number(v['failure-rate']);
  if (!(failureRate >= 0 && failureRate <= 1)) throw new CliError(`simulate: --failure-rate must be a number from 0 to 1, got ${JSON.stringify(v['failure-rate'])}`);
  const data = resolve(v.data ?? './data');
  if (!existsSync(data)) throw new CliError(`simulate: data directory ${data} does not exist (start the hub once, or give --data)`);
  const count = int('nodes', v.nodes, 50, 1, NODE_LIMIT);
  const duration = v.duration === undefined ? undefined : seconds('duration', v.duration, 0);

  const log = createLogger('simulate');
  const ids = nodeIds(count);
  process.stderr.write(`enrolling ${count} simulated nodes in ${data}/identities.json ...\n`);
  const { creds, created } = await enrollSimulatedNodes(data, ids);
  process.stderr.write(`${created} new identities, ${count - created} reused\n`);

  const fleet = await startFleet({
    url: url.data,
    prefix: prefix.data,
    nodes: count,
    creds,
    services: int('services', v.services, 20, 0, 200),
    checks: int('checks', v.checks, 3, 0, 50),
    intervalSec: seconds('interval', v.interval, 10),
    failureRate,
    logLines: int('log-lines', v['log-lines'], 2, 0, 100),
    connectRate: int('connect-rate', v['connect-rate'], 200, 1, 10_000),
    seed: int('seed', v.seed, 1, 0, 2 ** 31),
    onProgress: (p) => process.stderr.write(`${p.phase}: ${p.connected}/${p.total} connected${p.failed > 0 ? `, ${p.failed} failed (${Object.entries(p.errors).map(([m, n]) => `${n}x ${m}`).join('; ')}), retrying` : ''}\n`),
  });
  if (fleet.stats().connected === 0) {
    await fleet.stop();
    throw new CliError(`simulate: no node could connect to ${url.data} (is the hub running, with this data directory?)`);
  }

  let last = fleet.stats();
  const report = setInterval(() => {
    const s = fleet.stats();
    process.stderr.write(`${s.connected}/${s.nodes} connected, ${((s.published - last.published) / 10).toFixed(0)} msg/s, ${((s.events - last.events) / 10).toFixed(0)} events/s, ${s.commands} commands${s.publishErrors > 0 ? `, ${s.publishErrors} publish errors` : ''}\n`);
    last = s;
  }, 10_000);
  const stop = async () => {
    clearInterval(report);
    await fleet.stop();
  };
  if (duration !== undefined) {
    const timer = setTimeout(() => void stop().then(() => process.exit(0)), duration * 1000);
    await runUntilSignal(log, async () => {
      clearTimeout(timer);
      await stop();
    });
    return;
  }
  await runUntilSignal(log, stop);
}
