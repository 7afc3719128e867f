/**
 * A simulated fleet: N nodes, each a real MQTT connection with its own identity, connected at a
 * bounded rate and ticking at the interval with their phases spread over it, so the hub sees the
 * smooth load of a real fleet rather than one burst per interval.
 */
import { createTopics, DEFAULT_PREFIX } from '@sitrep/schemas';
import { SimHost, type HostShape } from './host.js';
import { SimNode, type NodeCounters } from './node.js';
import { seededRandom } from './random.js';
import { simNodeId, type SimCredentials } from './enroll.js';

export interface FleetOptions extends Partial<HostShape> {
  url: string;
  nodes: number;
  /** Seconds between ticks of one node (metrics, failures, logs). */
  intervalSec: number;
  creds: SimCredentials;
  prefix?: string;
  nodePrefix?: string;
  seed?: number;
  /** New connections per second (a thousand agents booting at once would be a stampede). */
  connectRate?: number;
  connectTimeoutMs?: number;
  now?: () => number;
  onProgress?: (p: FleetProgress) => void;
}

export interface FleetProgress {
  phase: 'connecting' | 'running';
  connected: number;
  total: number;
  failed: number;
  /** Why connections failed, by message (first attempts only; nodes keep retrying). */
  errors: Record<string, number>;
}

export interface FleetStats extends NodeCounters {
  nodes: number;
  connected: number;
  connectFailures: number;
  ticks: number;
}

export interface Fleet {
  readonly nodes: readonly SimNode[];
  stats(): FleetStats;
  stop(): Promise<void>;
}

export const NODE_LIMIT = 20_000;
const SLOT_MS = 100;

export function nodeIds(count: number, prefix = 'sim'): string[] {
  const width = Math.max(4, String(count).length);
  return Array.from({ length: count }, (_, i) => simNodeId(prefix, i, width));
}

export async function startFleet(o: FleetOptions): Promise<Fleet> {
  if (!Number.isInteger(o.nodes) || o.nodes < 1 || o.nodes > NODE_LIMIT) throw new RangeError(`nodes must be an integer from 1 to ${NODE_LIMIT}`);
  if (!(o.intervalSec > 0)) throw new RangeError('intervalSec must be > 0');
  const shape: HostShape = {
    services: o.services ?? 20,
    checks: o.checks ?? 3,
    failureRate: o.failureRate ?? 0.001,
    logLines: o.logLines ?? 2,
    checkEvery: o.checkEvery ?? 6,
  };
  const now = o.now ?? Date.now;
  const t = createTopics(o.prefix ?? DEFAULT_PREFIX);
  const rnd = seededRandom(o.seed ?? 1);
  const counters: NodeCounters = { published: 0, events: 0, publishErrors: 0, commands: 0, badCommands: 0 };
  const nodes = nodeIds(o.nodes, o.nodePrefix).map(
    (id) => new SimNode(new SimHost(id, t, shape, seededRandom(Math.floor(rnd() * 2 ** 32)), o.intervalSec, now()), t, o.url, { username: o.creds.username(id), password: o.creds.password }, counters, now),
  );
  let connectFailures = 0;
  const errors: Record<string, number> = {};
  let connected = 0;
  let ticks = 0;
  let stopped = false;

  // Connect at the given rate, in waves, each node waiting for its CONNACK.
  const rate = Math.max(1, o.connectRate ?? 200);
  const started: Promise<void>[] = [];
  for (let i = 0; i < nodes.length && !stopped; i += 1) {
    const node = nodes[i] as SimNode;
    started.push(
      node.start(o.connectTimeoutMs ?? 30_000).then(
        () => void (connected += 1),
        (err: Error) => {
          connectFailures += 1;
          errors[err.message] = (errors[err.message] ?? 0) + 1;
        },
      ),
    );
    if ((i + 1) % rate === 0) {
      await Promise.all(started.splice(0));
      o.onProgress?.({ phase: 'connecting', connected, total: nodes.length, failed: connectFailures, errors });
    }
  }
  await Promise.all(started);
  o.onProgress?.({ phase: 'running', connected, total: nodes.length, failed: connectFailures, errors });

  // Each node owns one slot of the interval; a timer every SLOT_MS ticks the nodes of that slot.
  const slots = Math.max(1, Math.round((o.intervalSec * 1000) / SLOT_MS));
  let slot = 0;
  const timer = setInterval(() => {
    for (let i = slot; i < nodes.length; i += slots) {
      (nodes[i] as SimNode).tick();
      ticks += 1;
    }
    slot = (slot + 1) % slots;
  }, SLOT_MS);

  return {
    nodes,
    stats: () => ({ ...counters, nodes: nodes.length, connected: nodes.filter((n) => n.connected).length, connectFailures, ticks }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
