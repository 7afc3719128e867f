/**
 * Options of bench/agent-systemd.ts, from argv (`--window 60`) or the environment
 * (`BENCH_WINDOW_SEC=60`); argv wins. Every value is bounded, so no setting makes the run endless.
 */
import { parseArgs } from 'node:util';
import { OptionsError } from '../options-or-exit.js';

export interface BenchOptions {
  /** Steady-state measurement window, s (after the warm-up). */
  windowSec: number;
  /** Time each measured process runs before its window starts, s. */
  warmupSec: number;
  /** How many times the watched unit is SIGKILLed for the latency figures. */
  kills: number;
  /** Window of the separate `--cpu-prof` run, s; 0 skips it. */
  profileSec: number;
  /** Skip installing and measuring prometheus-node-exporter. */
  noNodeExporter: boolean;
}

interface Bound {
  flag: string;
  env: string;
  min: number;
  max: number;
}

/**
 * V8's memory reducer shrinks the agent's heap once, some 30-60 s after start (three Mark-Compact
 * GCs, ~150 ms of CPU, RSS 130 -> 78 MiB): a 20 s warm-up put that one-off into the window in one
 * run and not the next. 60 s keeps it out.
 */
export const DEFAULT_WARMUP_SEC = 60;

const BOUNDS = {
  windowSec: { flag: 'window', env: 'BENCH_WINDOW_SEC', min: 10, max: 600 },
  warmupSec: { flag: 'warmup', env: 'BENCH_WARMUP_SEC', min: 5, max: 120 },
  kills: { flag: 'kills', env: 'BENCH_KILLS', min: 1, max: 200 },
  profileSec: { flag: 'profile', env: 'BENCH_PROFILE_SEC', min: 0, max: 600 },
} as const satisfies Record<string, Bound>;

export const USAGE = `pnpm --filter @sitrep/bench agent-systemd [--window SEC] [--warmup SEC] [--kills N] [--profile SEC] [--no-node-exporter]
  --window SEC        steady-state window, 10..600, default 120   (BENCH_WINDOW_SEC)
  --warmup SEC        warm-up before each window, 5..120, default 60 (BENCH_WARMUP_SEC)
  --kills N           SIGKILLs for detection latency, 1..200, default 30 (BENCH_KILLS)
  --profile SEC       window of the --cpu-prof run, 0..600 (0 skips), default = --window (BENCH_PROFILE_SEC)
  --no-node-exporter  skip the node-exporter reference (BENCH_NO_NODE_EXPORTER=1)`;

export { OptionsError };

function pick(name: keyof typeof BOUNDS, fromArgv: string | undefined, fallback: number): number {
  const b: Bound = BOUNDS[name];
  const raw = fromArgv ?? process.env[b.env];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < b.min || value > b.max) {
    throw new OptionsError(`--${b.flag} (${b.env}) must be an integer from ${b.min} to ${b.max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function parseOptions(argv: readonly string[]): BenchOptions | 'help' {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        window: { type: 'string' },
        warmup: { type: 'string' },
        kills: { type: 'string' },
        profile: { type: 'string' },
        'no-node-exporter': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (err) {
    throw new OptionsError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help === true) return 'help';
  const windowSec = pick('windowSec', values.window, 120);
  return {
    windowSec,
    warmupSec: pick('warmupSec', values.warmup, DEFAULT_WARMUP_SEC),
    kills: pick('kills', values.kills, 30),
    profileSec: pick('profileSec', values.profile, windowSec),
    noNodeExporter: values['no-node-exporter'] === true || process.env['BENCH_NO_NODE_EXPORTER'] === '1',
  };
}
