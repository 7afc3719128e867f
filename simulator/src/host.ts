/**
 * One simulated host, without any I/O: it owns the state an agent would publish and turns the
 * passage of time into the messages a real agent sends (same topics, same payloads, same QoS and
 * retain flags). The MQTT side lives in `node.ts`, so this part is deterministic and testable.
 */
import { randomUUID } from 'node:crypto';
import {
  PAYLOAD_VERSION,
  type Birth,
  type CheckResult,
  type Command,
  type CommandResult,
  type LogBatch,
  type Metrics,
  type ServiceState,
  type Topics,
} from '@sitrep/schemas';
import { pick, type Random } from './random.js';

export interface Outgoing {
  topic: string;
  payload: unknown;
  qos: 0 | 1;
  retain: boolean;
  /** Set for events: replayed on request. */
  seq?: number;
}

export interface HostShape {
  services: number;
  checks: number;
  /** Chance per service per tick that a running service fails (it recovers on the next tick). */
  failureRate: number;
  /** Log lines per tick (spread over the services). */
  logLines: number;
  /** A check runs every this many ticks. */
  checkEvery: number;
}

type RunState = 'running' | 'failed' | 'stopped';
interface Service {
  id: string;
  state: RunState;
  since: number;
  pid: number;
  restarts: number;
  /** Stopped by a command: stays stopped until started again. */
  held: boolean;
}

const CHECK_OUTCOMES = ['OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'OK', 'UPDATE', 'WARNING', 'FAILURE'] as const;
const ALLOWED = ['start', 'stop', 'restart'] as const;
/** Events kept for `replay`: what a real agent's spool would still hold. */
const REPLAY_KEEP = 2000;

export class SimHost {
  /** Changes on every connection, as a real agent's does (DESIGN.md section 4). */
  session = randomUUID();
  private seq = 0;
  private tickNo = 0;
  private readonly services: Service[];
  private readonly checks: string[];
  private readonly recent: Outgoing[] = [];
  private readonly bootTime: number;

  constructor(
    readonly node: string,
    private readonly t: Topics,
    private readonly shape: HostShape,
    private readonly rnd: Random,
    private readonly intervalSec: number,
    now: number,
  ) {
    this.bootTime = now - Math.floor(rnd() * 30 * 86_400_000);
    this.services = Array.from({ length: shape.services }, (_, i) => ({
      id: `svc-${String(i + 1).padStart(2, '0')}.service`,
      state: 'running',
      since: this.bootTime,
      pid: 1000 + Math.floor(rnd() * 60_000),
      restarts: 0,
      held: false,
    }));
    this.checks = Array.from({ length: shape.checks }, (_, i) => `check-${i + 1}`);
  }

  /** The last event number handed out: what a lossless consumer must end up with. */
  get lastSeq(): number {
    return this.seq;
  }

  /** Each service's current state, as the retained `services/{id}` topics should show it. */
  serviceStates(): Map<string, RunState> {
    return new Map(this.services.map((s) => [s.id, s.state]));
  }

  renewSession(): void {
    this.session = randomUUID();
  }

  /** Everything a freshly connected agent publishes: status, birth, every retained state. */
  announce(now: number, firstConnect: boolean): Outgoing[] {
    const out: Outgoing[] = [
      { topic: this.t.status(this.node), payload: this.status('online', now), qos: 1, retain: true },
      { topic: this.t.birth(this.node), payload: this.birth(now), qos: 1, retain: true },
      ...this.services.map((s) => this.serviceOut(s, now)),
    ];
    if (firstConnect) out.push(this.event(now, 'AgentStarted', { version: 'simulator', pid: process.pid }));
    out.push(this.metricsOut(now));
    return out;
  }

  status(state: 'online' | 'offline' | 'lost', now: number) {
    return { v: PAYLOAD_VERSION, node: this.node, state, session: this.session, ts: now };
  }

  /** One interval: metrics, failures and recoveries, checks when due, log lines. */
  tick(now: number): Outgoing[] {
    this.tickNo += 1;
    const out: Outgoing[] = [this.metricsOut(now)];
    for (const s of this.services) {
      if (s.state === 'failed' && !s.held) out.push(...this.move(s, 'running', now, { result: 'success' }));
      else if (s.state === 'running' && this.rnd() < this.shape.failureRate) {
        out.push(...this.move(s, 'failed', now, { result: 'signal', signal: 'SIGKILL', exitCode: 9, lastLines: this.lastLines(s, now) }));
      }
    }
    if (this.checks.length > 0 && this.tickNo % this.shape.checkEvery === 0) {
      for (const c of this.checks) out.push(...this.runCheck(c, now));
    }
    if (this.shape.logLines > 0 && this.services.length > 0) {
      const s = pick(this.rnd, this.services);
      const batch: LogBatch = {
        v: PAYLOAD_VERSION,
        node: this.node,
        source: s.id,
        lines: Array.from({ length: this.shape.logLines }, (_, i) => ({ ts: now, text: `${s.id} request ${this.tickNo}.${i} served in ${Math.floor(this.rnd() * 200)} ms`, stream: 'journal' as const })),
      };
      out.push({ topic: this.t.logs(this.node, s.id), payload: batch, qos: 0, retain: false });
    }
    return out;
  }

  /** Answer a command the way an agent does: allow-listed service actions, replay and rebirth. */
  command(cmd: Command, now: number): Outgoing[] {
    const result = (outcome: CommandResult['outcome'], message: string, extra: Outgoing[] = []): Outgoing[] => {
      const r: CommandResult = { v: PAYLOAD_VERSION, node: this.node, id: cmd.id, action: cmd.action, target: cmd.target, outcome, message, ts: now, durationMs: 1 };
      const ev = this.event(now, 'CommandCompleted', { id: cmd.id, action: cmd.action, target: cmd.target, ...(cmd.by === undefined ? {} : { by: cmd.by }), outcome, message, durationMs: 1 });
      return [...extra, { topic: this.t.cmdResult(this.node), payload: r, qos: 1, retain: false }, ev];
    };
    if (cmd.expiresAt !== undefined && cmd.expiresAt < now) return result('expired', 'command expired before it arrived');
    if (cmd.action === 'rebirth') return result('ok', 'rebirth sent', this.announce(now, false));
    if (cmd.action === 'replay') {
      const from = cmd.args?.['fromSeq'];
      if (typeof from !== 'number' || !Number.isInteger(from) || from < 1) return result('refused', 'replay needs args.fromSeq, an integer >= 1');
      const oldest = this.recent[0]?.seq ?? this.seq + 1;
      if (from < oldest) return result('failed', `events before seq ${oldest} are no longer held`);
      return [...this.recent.filter((e) => (e.seq ?? 0) >= from), ...result('ok', `replayed from seq ${from}`)];
    }
    const s = this.services.find((x) => x.id === cmd.target);
    if (s === undefined) return result('refused', `unknown target ${cmd.target}`);
    if (!(ALLOWED as readonly string[]).includes(cmd.action)) return result('refused', `action ${cmd.action} is not allowed on ${s.id}`);
    const moves: Outgoing[] = [];
    if (cmd.action === 'stop') {
      s.held = true;
      moves.push(...this.move(s, 'stopped', now, { result: 'success' }));
    } else {
      s.held = false;
      if (cmd.action === 'restart' && s.state === 'running') moves.push(...this.move(s, 'stopped', now, { result: 'success' }));
      moves.push(...this.move(s, 'running', now, { result: 'success' }));
    }
    return result('ok', `${cmd.action} ${s.id}: done`, moves);
  }

  private move(s: Service, to: RunState, now: number, evidence: { result: string; signal?: string; exitCode?: number; lastLines?: string[] }): Outgoing[] {
    if (s.state === to) return [];
    const from = s.state;
    s.state = to;
    s.since = now;
    if (to === 'running') {
      s.pid = 1000 + Math.floor(this.rnd() * 60_000);
      if (from === 'failed') s.restarts += 1;
    }
    return [
      this.serviceOut(s, now),
      this.event(now, 'ServiceStateChanged', { service: s.id, from, to, expect: 'running', result: evidence.result, exitCode: evidence.exitCode ?? null, signal: evidence.signal ?? null, ...(evidence.lastLines === undefined ? {} : { lastLines: evidence.lastLines }) }),
    ];
  }

  private runCheck(id: string, now: number): Outgoing[] {
    const status = pick(this.rnd, CHECK_OUTCOMES);
    const durationMs = Math.round(this.rnd() * 900);
    const message = status === 'OK' ? 'all good' : `${id}: ${status.toLowerCase()} on simulated host`;
    const r: CheckResult = { v: PAYLOAD_VERSION, node: this.node, check: id, ts: now, status, message, durationMs, exitCode: status === 'OK' ? 0 : 1 };
    return [{ topic: this.t.check(this.node, id), payload: r, qos: 1, retain: true }, this.event(now, 'CheckCompleted', { check: id, status, message, durationMs })];
  }

  private event(now: number, type: string, data: Record<string, unknown>): Outgoing {
    this.seq += 1;
    const e: Outgoing = { topic: this.t.events(this.node), payload: { v: PAYLOAD_VERSION, node: this.node, session: this.session, seq: this.seq, ts: now, type, data }, qos: 1, retain: false, seq: this.seq };
    this.recent.push(e);
    if (this.recent.length > REPLAY_KEEP) this.recent.shift();
    return e;
  }

  private lastLines(s: Service, now: number): string[] {
    return [`${new Date(now).toISOString()} ${s.id}: worker ${s.pid} out of memory`, `${new Date(now).toISOString()} ${s.id}: main process killed`];
  }

  private serviceOut(s: Service, now: number): Outgoing {
    const running = s.state === 'running';
    const payload: ServiceState = {
      v: PAYLOAD_VERSION,
      node: this.node,
      service: s.id,
      ts: now,
      kind: 'systemd',
      state: s.state,
      expect: 'running',
      exists: true,
      since: s.since,
      pid: running ? s.pid : null,
      memoryBytes: running ? 20_000_000 + Math.floor(this.rnd() * 200_000_000) : null,
      cpuPercent: running ? Math.round(this.rnd() * 500) / 100 : null,
      restarts: s.restarts,
      activeState: running ? 'active' : s.state === 'failed' ? 'failed' : 'inactive',
      subState: running ? 'running' : s.state === 'failed' ? 'failed' : 'dead',
    };
    return { topic: this.t.service(this.node, s.id), payload, qos: 1, retain: true };
  }

  private birth(now: number): Birth {
    const octet = (n: number) => n % 250 + 1;
    const idx = Number(this.node.replace(/\D/g, '')) || 0;
    return {
      v: PAYLOAD_VERSION,
      node: this.node,
      session: this.session,
      ts: now,
      agent: { version: 'simulator', pid: process.pid },
      host: {
        hostname: this.node,
        platform: 'linux',
        distro: 'Debian GNU/Linux',
        release: '12',
        kernel: '6.1.0-sim',
        arch: 'x64',
        machineId: null,
        bootTime: this.bootTime,
        ips: [`10.${octet(idx >> 16)}.${octet(idx >> 8)}.${octet(idx)}`],
        mac: null,
      },
      interval: this.intervalSec,
      services: this.services.map((s) => ({ id: s.id, kind: 'systemd' as const, expect: 'running' as const, actions: [...ALLOWED] })),
      checks: this.checks.map((id) => ({ id, name: id, schedule: `${this.intervalSec * this.shape.checkEvery}s`, actions: ['run' as const] })),
    };
  }

  private metricsOut(now: number): Outgoing {
    const total = 16 * 2 ** 30;
    const used = Math.floor(total * (0.2 + this.rnd() * 0.6));
    const disk = 500 * 2 ** 30;
    const diskUsed = Math.floor(disk * (0.3 + this.rnd() * 0.5));
    const m: Metrics = {
      v: PAYLOAD_VERSION,
      node: this.node,
      ts: now,
      cpu: { percent: Math.round(this.rnd() * 10_000) / 100 },
      memory: { total, used, available: total - used, percent: Math.round((used / total) * 10_000) / 100 },
      disks: [{ mount: '/', fs: 'ext4', size: disk, used: diskUsed, available: disk - diskUsed, percent: Math.round((diskUsed / disk) * 10_000) / 100 }],
      load: [this.rnd() * 4, this.rnd() * 3, this.rnd() * 2],
      uptime: Math.floor((now - this.bootTime) / 1000),
      processes: 100 + Math.floor(this.rnd() * 200),
    };
    return { topic: this.t.metrics(this.node), payload: m, qos: 1, retain: true };
  }
}
