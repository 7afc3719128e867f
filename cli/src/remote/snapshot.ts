/**
 * The fleet as the broker's retained topics tell it: every node's status, birth, metrics, service
 * and check state, plus the projector's summary and open alerts. MQTT has no "end of retained
 * messages" marker, so the snapshot ends when it is complete (every service a birth lists has
 * arrived, and the summary and alerts) and the stream has gone quiet, or after a bound.
 */
import type { MqttClient } from 'mqtt';
import { codecs, type Alerts, type Birth, type CheckResult, type Metrics, type ServiceState, type Status, type Summary, type Topics } from '@sitrep/schemas';
import { subscribeOrFail } from './connect.js';

export interface NodeSnapshot {
  node: string;
  status?: Status;
  birth?: Birth;
  metrics?: Metrics;
  services: Map<string, ServiceState>;
  checks: Map<string, CheckResult>;
}

export interface FleetSnapshot {
  nodes: Map<string, NodeSnapshot>;
  summary?: Summary;
  alerts?: Alerts;
  /** Retained payloads that did not validate: shown, never silently dropped. */
  invalid: { topic: string; reason: string }[];
}

export interface SnapshotTiming {
  /** Quiet time that ends a complete snapshot. */
  settleMs: number;
  /** Quiet time that ends an incomplete one (a birth listing a service whose state never came). */
  idleMs: number;
  maxMs: number;
}

const DEFAULT_TIMING: SnapshotTiming = { settleMs: 150, idleMs: 1000, maxMs: 5000 };

export function emptySnapshot(): FleetSnapshot {
  return { nodes: new Map(), invalid: [] };
}

function nodeOf(s: FleetSnapshot, node: string): NodeSnapshot {
  let n = s.nodes.get(node);
  if (n === undefined) {
    n = { node, services: new Map(), checks: new Map() };
    s.nodes.set(node, n);
  }
  return n;
}

/** Fold one retained message into the snapshot; an empty payload clears (DESIGN.md section 3). */
export function applyRetained(s: FleetSnapshot, t: Topics, topic: string, payload: Buffer): void {
  const parsed = t.parse(topic);
  if (!parsed.ok) return;
  const p = parsed.topic;
  const bad = (reason: string): void => void s.invalid.push({ topic, reason });
  const empty = payload.byteLength === 0;
  switch (p.kind) {
    case 'summary': {
      const d = codecs.summary.decode(payload);
      if (d.ok) s.summary = d.value;
      else if (!empty) bad(d.reason);
      return;
    }
    case 'alerts': {
      const d = codecs.alerts.decode(payload);
      if (d.ok) s.alerts = d.value;
      else if (!empty) bad(d.reason);
      return;
    }
    case 'status':
    case 'birth':
    case 'metrics': {
      const n = nodeOf(s, p.node);
      if (empty) {
        delete n[p.kind];
        return;
      }
      const d = codecs[p.kind === 'status' ? 'status' : p.kind === 'birth' ? 'birth' : 'metrics'].decode(payload);
      if (!d.ok) {
        bad(d.reason);
        return;
      }
      if (p.kind === 'status') n.status = d.value as Status;
      else if (p.kind === 'birth') n.birth = d.value as Birth;
      else n.metrics = d.value as Metrics;
      return;
    }
    case 'service': {
      const n = nodeOf(s, p.node);
      if (empty) return void n.services.delete(p.service);
      const d = codecs.serviceState.decode(payload);
      if (d.ok) n.services.set(p.service, d.value);
      else bad(d.reason);
      return;
    }
    case 'check': {
      const n = nodeOf(s, p.node);
      if (empty) return void n.checks.delete(p.check);
      const d = codecs.checkResult.decode(payload);
      if (d.ok) n.checks.set(p.check, d.value);
      else bad(d.reason);
      return;
    }
    default:
      return;
  }
}

/** Whether everything the births promise, and the hub's own state, has arrived. */
export function isComplete(s: FleetSnapshot): boolean {
  if (s.summary === undefined || s.alerts === undefined) return false;
  for (const n of s.nodes.values()) {
    if (n.status === undefined || n.birth === undefined) return false;
    if (n.birth.services.some((w) => !n.services.has(w.id))) return false;
  }
  return true;
}

export function stateFilters(t: Topics): string[] {
  return [t.filter.status(), t.filter.birth(), t.filter.metrics(), t.filter.services(), t.filter.checks(), t.summary(), t.alerts()];
}

export async function readSnapshot(client: MqttClient, t: Topics, username: string, timing: SnapshotTiming = DEFAULT_TIMING): Promise<FleetSnapshot> {
  const snap = emptySnapshot();
  let last = Date.now();
  const onMessage = (topic: string, payload: Buffer) => {
    last = Date.now();
    applyRetained(snap, t, topic, payload);
  };
  client.on('message', onMessage);
  try {
    await subscribeOrFail(client, stateFilters(t), username);
    const started = Date.now();
    last = started;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        const quiet = Date.now() - last;
        if ((isComplete(snap) && quiet >= timing.settleMs) || quiet >= timing.idleMs || Date.now() - started >= timing.maxMs) {
          clearInterval(timer);
          resolve();
        }
      }, 25);
    });
  } finally {
    client.off('message', onMessage);
  }
  return snap;
}
