/**
 * A fleet's event stream as the projector receives it on `nodes/{node}/events`: deterministic
 * (seeded), in seq order per node, interleaved across nodes, with a small share of events
 * delivered one place late within their node (the folder reorders them). Payloads are the JSON
 * bytes an agent publishes.
 *
 * Mix per event: 80 % ServiceStateChanged (the failures, about a fifth of them, carry lastLines),
 * 10 % CheckCompleted, 8 % CommandCompleted, 2 % AgentStarted (a restart: new session, seq goes on).
 */
import type { AgentEvent, Topics } from '@sitrep/schemas';
import { seededRandom } from '@sitrep/simulator';

export interface WorkloadOptions {
  nodes: number;
  servicesPerNode: number;
  checksPerNode: number;
  /** Share of events delivered after their node's next event (0..0.5). */
  outOfOrder: number;
  /** Fleet-wide time between two events, ms: the log spans `events × stepMs`. */
  stepMs: number;
  /** Event ts to arrival at the projector, ms (the injected clock's receivedAt). */
  deliveryMs: number;
  start: number;
  seed: number;
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  nodes: 50,
  servicesPerNode: 20,
  checksPerNode: 5,
  outOfOrder: 0.01,
  stepMs: 3000,
  deliveryMs: 40,
  start: Date.UTC(2026, 10, 1),
  seed: 20261123,
};

export interface Message {
  topic: string;
  payload: Buffer;
  /** When the projector receives it (ms): what the bench's clock returns while folding it. */
  receivedAt: number;
  event: AgentEvent;
}

export interface WorkloadStats {
  byType: Record<string, number>;
  outOfOrder: number;
  withLastLines: number;
  payloadBytes: number;
}

const RUN_STATES = ['running', 'stopped', 'failed'] as const;
type RunState = (typeof RUN_STATES)[number];
const SERVICE_NAMES = ['nginx', 'postgresql', 'redis-server', 'docker', 'sshd', 'cron', 'app-api', 'app-worker', 'node-exporter', 'chronyd'];
const CHECKS = ['disk-root', 'http-api', 'tls-expiry', 'backup-age', 'dns'];
const ACTIONS = ['restart', 'start', 'stop', 'run'] as const;
const CHECK_STATUS = ['OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'WARNING', 'FAILURE'] as const;

interface NodeState {
  id: string;
  seq: number;
  restarts: number;
  services: string[];
  state: Map<string, RunState>;
  /** An event held back: it is delivered right after this node's next event. */
  held: Message | undefined;
}

function lastLines(rnd: () => number, service: string, ts: number): string[] {
  const n = 5 + Math.floor(rnd() * 16);
  return Array.from(
    { length: n },
    (_, i) => `${new Date(ts - (n - i) * 250).toISOString()} ${service}[${1000 + i}]: worker ${i} exited: connection reset by peer (errno=104)`,
  );
}

const NO_PAYLOAD = Buffer.alloc(0);

/**
 * A generator of `total` messages; call `stats()` after draining it. Without `payloads` the
 * messages carry the event only (an empty payload): for writing log rows directly.
 */
export function fleetWorkload(topics: Topics, total: number, opts: WorkloadOptions = DEFAULT_WORKLOAD, payloads = true) {
  const rnd = seededRandom(opts.seed);
  const stats: WorkloadStats = { byType: {}, outOfOrder: 0, withLastLines: 0, payloadBytes: 0 };
  const nodes: NodeState[] = Array.from({ length: opts.nodes }, (_, i) => {
    const services = Array.from({ length: opts.servicesPerNode }, (_, k) =>
      `${SERVICE_NAMES[k % SERVICE_NAMES.length]}${k < SERVICE_NAMES.length ? '' : `-${Math.floor(k / SERVICE_NAMES.length)}`}.service`,
    );
    return { id: `node-${String(i + 1).padStart(3, '0')}`, seq: 0, restarts: 0, services, state: new Map(services.map((s) => [s, 'running'])), held: undefined };
  });

  function nextEvent(n: NodeState, ts: number): AgentEvent {
    n.seq++;
    const head = { v: 1 as const, node: n.id, session: `${n.id}-s${n.restarts}`, seq: n.seq, ts };
    const r = rnd();
    if (r < 0.02 || n.seq === 1) {
      n.restarts++;
      return { ...head, session: `${n.id}-s${n.restarts}`, type: 'AgentStarted', data: { version: '0.1.0', pid: 1000 + Math.floor(rnd() * 30000) } };
    }
    if (r < 0.1) {
      return {
        ...head,
        type: 'CommandCompleted',
        data: {
          id: `cmd-${n.id}-${n.seq}`,
          action: ACTIONS[Math.floor(rnd() * ACTIONS.length)]!,
          target: n.services[Math.floor(rnd() * n.services.length)]!,
          by: 'admin@hub',
          outcome: rnd() < 0.9 ? 'ok' : 'failed',
          message: 'done',
          durationMs: Math.round(rnd() * 2000) / 10,
        },
      };
    }
    if (r < 0.2) {
      const status = CHECK_STATUS[Math.floor(rnd() * CHECK_STATUS.length)]!;
      return {
        ...head,
        type: 'CheckCompleted',
        data: { check: CHECKS[Math.floor(rnd() * opts.checksPerNode) % CHECKS.length]!, status, message: status === 'OK' ? 'ok' : 'threshold crossed: 91% used', durationMs: Math.round(rnd() * 500) / 10 },
      };
    }
    const service = n.services[Math.floor(rnd() * n.services.length)]!;
    const from = n.state.get(service)!;
    const to = from === 'running' ? (rnd() < 0.3 ? 'failed' : 'stopped') : 'running';
    n.state.set(service, to);
    const data: Extract<AgentEvent, { type: 'ServiceStateChanged' }>['data'] = { service, from, to, expect: 'running' };
    if (to === 'failed') {
      data.result = 'exit-code';
      data.exitCode = 1;
      data.signal = null;
      if (rnd() < 0.7) {
        data.lastLines = lastLines(rnd, service, ts);
        stats.withLastLines++;
      }
    }
    return { ...head, type: 'ServiceStateChanged', data };
  }

  function message(e: AgentEvent): Message {
    const payload = payloads ? Buffer.from(JSON.stringify(e)) : NO_PAYLOAD;
    stats.byType[e.type] = (stats.byType[e.type] ?? 0) + 1;
    stats.payloadBytes += payload.byteLength;
    return { topic: topics.events(e.node), payload, receivedAt: e.ts + opts.deliveryMs, event: e };
  }

  function* generate(): Generator<Message> {
    for (let made = 0; made < total; made++) {
      const n = nodes[Math.floor(rnd() * nodes.length)]!;
      const m = message(nextEvent(n, opts.start + made * opts.stepMs));
      const held = n.held;
      n.held = undefined;
      if (held === undefined && m.event.seq > 1 && rnd() < opts.outOfOrder) {
        n.held = m;
        stats.outOfOrder++;
        continue;
      }
      yield m;
      // Delivered late: right after its node's next event, with that one's arrival time.
      if (held !== undefined) yield { ...held, receivedAt: m.receivedAt };
    }
    // Still held at the end: delivered last (late, but nothing after them, so in order).
    for (const n of nodes) {
      if (n.held !== undefined) {
        stats.outOfOrder--;
        yield n.held;
      }
    }
  }

  return { messages: generate(), stats: () => stats };
}
