/** Command-line options of broker-throughput, each bounded. */
import { OptionsError } from '../options-or-exit.js';
export interface Options {
  qos0: number;
  qos1: number;
  window: number;
  rate: number;
  latencySeconds: number;
  nodes: number;
  services: number;
  steadySeconds: number;
  phaseLimitSeconds: number;
  brokers: string[];
}

export const USAGE = `pnpm --filter @sitrep/bench broker-throughput [options]

  --qos0=N             QoS 0 messages in the throughput phase       default 20000 (1..1000000)
  --qos1=N             QoS 1 messages in the throughput phase       default 10000 (1..1000000)
  --window=N           messages in flight during throughput         default 1000 (1..100000)
  --rate=N             msg/s of the latency phases                  default 1000 (1..20000)
  --latency-seconds=S  length of each latency phase                 default 3 (1..60)
  --nodes=N            fleet connections                            default 200 (1..5000)
  --services=N         retained service states per fleet node       default 10 (0..100)
  --steady=S           fleet steady-state seconds                   default 10 (1..120)
  --phase-limit=S      time limit of one throughput phase           default 60 (1..600)
  --brokers=a,b        subset of mosquitto,aedes-memory,aedes-sqlite default all three
`;

const LIMITS: Record<string, [keyof Options, number, number, number]> = {
  qos0: ['qos0', 20_000, 1, 1_000_000],
  qos1: ['qos1', 10_000, 1, 1_000_000],
  window: ['window', 1000, 1, 100_000],
  rate: ['rate', 1000, 1, 20_000],
  'latency-seconds': ['latencySeconds', 3, 1, 60],
  nodes: ['nodes', 200, 1, 5000],
  services: ['services', 10, 0, 100],
  steady: ['steadySeconds', 10, 1, 120],
  'phase-limit': ['phaseLimitSeconds', 60, 1, 600],
};

export const ALL_BROKERS = ['mosquitto', 'aedes-memory', 'aedes-sqlite'];

export function parseOptions(args: readonly string[]): Options {
  const o: Record<string, unknown> = { brokers: ALL_BROKERS };
  for (const [key, def] of Object.values(LIMITS)) o[key] = def;
  for (const arg of args) {
    const m = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
    if (!m) throw new OptionsError(`unknown argument ${arg}`);
    const [, name, value] = m as unknown as [string, string, string];
    if (name === 'brokers') {
      const list = value.split(',');
      const bad = list.filter((b) => !ALL_BROKERS.includes(b));
      if (bad.length > 0 || list.length === 0) throw new OptionsError(`--brokers: unknown ${bad.join(', ')}; choose from ${ALL_BROKERS.join(', ')}`);
      o.brokers = list;
      continue;
    }
    const limit = LIMITS[name];
    if (!limit) throw new OptionsError(`unknown option --${name}`);
    const n = Number(value);
    if (!Number.isInteger(n) || n < limit[2] || n > limit[3]) throw new OptionsError(`--${name} must be a whole number from ${limit[2]} to ${limit[3]}, got ${value}`);
    o[limit[0]] = n;
  }
  return o as unknown as Options;
}
