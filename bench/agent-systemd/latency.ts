/**
 * Detection latency: SIGKILL the main process of a watched unit (Restart=always, RestartSec=1)
 * and time, on the host's monotonic clock, from just before the kill to the arrival on the broker
 * of (a) the retained `services/{unit}` state saying `failed` and (b) the ServiceStateChanged
 * event to `failed` (held back EVIDENCE_DELAY_MS = 300 ms to gather journal lines). Every agent
 * given watches the same unit, so one kill times them all.
 *
 * The kill is sent by the bench itself to the host PID of the process (no `sb.exec` start-up in
 * the figure). Between kills the bench waits until every agent has published the unit running
 * again with its new PID, then sleeps a random 0..pollInterval: without it every kill would land
 * at the same phase of the polling agent's timer (right after the poll that saw the recovery).
 */
import { readFileSync } from 'node:fs';
import { unitProperties, type Sandbox } from '@sitrep/deploy';
import { codecs, createTopics, type ServiceState } from '@sitrep/schemas';
import { BusTimeoutError, type Bus } from './bus.js';
import { hostPidOf } from './proc.js';

export interface KillRecord {
  i: number;
  pid: number;
  /** `host`: process.kill on the host PID; `exec`: `kill -9` through sb.exec (timestamp before the exec). */
  via: 'host' | 'exec';
  /** Per agent node: ms from the kill, null when never seen. */
  stateFailedMs: Record<string, number | null>;
  eventFailedMs: Record<string, number | null>;
  /** First state showing the crash at all: failed, or running with a new PID. */
  crashSeenMs: Record<string, number | null>;
  eventHasSigkill: Record<string, boolean | null>;
}

export interface LatencyRun {
  kills: KillRecord[];
  /** Why the loop stopped early, if it did. */
  aborted: string | null;
  /** When it did: what each agent published about the unit after the last kill, ms from the kill. */
  afterLastKill: { node: string; ms: number; state: string; pid: number | null; subState: string | undefined }[];
}

export interface LatencyOptions {
  unit: string;
  nodes: readonly string[];
  kills: number;
  jitterMaxMs: number;
  recoverTimeoutMs?: number;
}

const t = createTopics();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function firstAfter<T>(bus: Bus, topic: string, from: number, decode: (p: Buffer) => T | null, accept: (v: T) => boolean): { value: T; at: number } | null {
  for (const m of bus.messages.slice(from)) {
    if (m.topic !== topic) continue;
    const v = decode(m.payload);
    if (v !== null && accept(v)) return { value: v, at: m.at };
  }
  return null;
}

const decodeState = (p: Buffer): ServiceState | null => {
  const d = codecs.serviceState.decode(p);
  return d.ok ? d.value : null;
};

function publishedSince(bus: Bus, o: LatencyOptions, from: number, t0: number): LatencyRun['afterLastKill'] {
  return bus.messages.slice(from).flatMap((m) => {
    const node = o.nodes.find((n) => m.topic === t.service(n, o.unit));
    const s = node === undefined ? null : decodeState(m.payload);
    return node === undefined || s === null ? [] : [{ node, ms: Math.round(m.at - t0), state: s.state, pid: s.pid, subState: s.subState }];
  });
}

export async function measureDetection(sb: Sandbox, bus: Bus, o: LatencyOptions): Promise<LatencyRun> {
  const recoverTimeoutMs = o.recoverTimeoutMs ?? 20_000;
  const kills: KillRecord[] = [];
  const deadline = performance.now() + o.kills * (recoverTimeoutMs + o.jitterMaxMs + 5000);
  for (let i = 0; i < o.kills; i++) {
    if (performance.now() > deadline) return { kills, aborted: `phase deadline passed after ${i} kills`, afterLastKill: [] };
    const { MainPID } = await unitProperties(sb, o.unit, ['MainPID']);
    const pid = Number(MainPID);
    if (!(pid > 0)) return { kills, aborted: `${o.unit} has no main process before kill ${i + 1}`, afterLastKill: [] };
    const hostPid = hostPidOf(sb.leaderPid, pid);
    const isSleep = hostPid !== null && readFileSync(`/proc/${hostPid}/comm`, 'latin1').trim() === 'sleep';

    const from = bus.mark();
    const t0 = performance.now();
    if (isSleep) process.kill(hostPid, 'SIGKILL');
    else await sb.exec(['kill', '-9', String(pid)]);

    try {
      await Promise.all(
        o.nodes.map((node) =>
          bus.next(t.service(node, o.unit), codecs.serviceState, (s) => s.state === 'running' && s.pid !== null && s.pid !== pid, `${node}: ${o.unit} running again`, { from, timeoutMs: recoverTimeoutMs }),
        ),
      );
      // An agent that saw `failed` also owes the event back to `running` (300 ms later): wait, so
      // this kill's messages are all in before the next one.
      await Promise.all(
        o.nodes.map(async (node) => {
          if (firstAfter(bus, t.service(node, o.unit), from, decodeState, (s) => s.state === 'failed') === null) return;
          await bus.next(t.events(node), codecs.event, (e) => e.type === 'ServiceStateChanged' && e.data.service === o.unit && e.data.to === 'running', `${node}: event back to running`, { from, timeoutMs: 5000 });
        }),
      );
    } catch (err) {
      if (err instanceof BusTimeoutError) return { kills, aborted: `kill ${i + 1} (PID ${pid}): ${err.message}`, afterLastKill: publishedSince(bus, o, from, t0) };
      throw err;
    }

    const rec: KillRecord = { i: i + 1, pid, via: isSleep ? 'host' : 'exec', stateFailedMs: {}, eventFailedMs: {}, crashSeenMs: {}, eventHasSigkill: {} };
    const ms = (x: { at: number } | null) => (x === null ? null : Math.round((x.at - t0) * 10) / 10);
    for (const node of o.nodes) {
      rec.stateFailedMs[node] = ms(firstAfter(bus, t.service(node, o.unit), from, decodeState, (s) => s.state === 'failed'));
      rec.crashSeenMs[node] = ms(firstAfter(bus, t.service(node, o.unit), from, decodeState, (s) => s.state === 'failed' || (s.pid !== null && s.pid !== pid)));
      const ev = firstAfter(
        bus,
        t.events(node),
        from,
        (p) => {
          const d = codecs.event.decode(p);
          return d.ok && d.value.type === 'ServiceStateChanged' ? d.value : null;
        },
        (e) => e.data.service === o.unit && e.data.to === 'failed',
      );
      rec.eventFailedMs[node] = ms(ev);
      rec.eventHasSigkill[node] = ev === null ? null : ev.value.data.signal === 'SIGKILL';
    }
    kills.push(rec);
    await sleep(Math.random() * o.jitterMaxMs);
  }
  return { kills, aborted: null, afterLastKill: [] };
}
