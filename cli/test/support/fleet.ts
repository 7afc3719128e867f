/**
 * A small fleet on a real broker: two nodes whose agent identities publish real, validated
 * retained payloads, and a service identity that publishes the projector's summary and alerts.
 * Every payload is checked against its codec before it is sent, so the fixture cannot drift from
 * the contract.
 */
import { codecs, createTopics, type Alerts, type Birth, type CheckResult, type Metrics, type ServiceState, type Status, type Summary } from '@sitrep/schemas';
import type { Credentials, TestBroker } from '@sitrep/broker/testing';
import type { MqttClient } from 'mqtt';

export const t = createTopics();
export const NOW = Date.now();

function checked<T>(codec: { problem(v: unknown): string | null }, value: T): T {
  const problem = codec.problem(value);
  if (problem !== null) throw new Error(`fixture does not match the contract: ${problem}`);
  return value;
}

export const status = (node: string, state: Status['state'] = 'online'): Status => checked(codecs.status, { v: 1, node, state, session: `s-${node}`, ts: NOW - 60_000 });

export const birth = (node: string, services: Birth['services'], checks: Birth['checks'] = []): Birth =>
  checked(codecs.birth, {
    v: 1,
    node,
    session: `s-${node}`,
    ts: NOW - 60_000,
    agent: { version: '0.1.0', pid: 4242 },
    host: { hostname: node, platform: 'linux', distro: 'Debian GNU/Linux 12', release: '12', kernel: '6.1.0', arch: 'x64', machineId: `${node}-0123456789abcdef`.padEnd(32, '0'), bootTime: NOW - 86_400_000, ips: ['192.0.2.10'], mac: null },
    interval: 10,
    services,
    checks,
  });

export const metrics = (node: string, cpu: number): Metrics =>
  checked(codecs.metrics, {
    v: 1,
    node,
    ts: NOW - 5000,
    cpu: { percent: cpu },
    memory: { total: 8e9, used: 2e9, available: 6e9, percent: 25 },
    disks: [{ mount: '/', fs: 'ext4', size: 100e9, used: 71e9, available: 29e9, percent: 71 }, { mount: '/srv/data', fs: 'xfs', size: 500e9, used: 50e9, available: 450e9, percent: 10 }],
    load: [0.42, 0.3, 0.2],
    uptime: 3 * 86_400 + 4 * 3600,
    temperatures: [{ sensor: 'coretemp Package id 0', celsius: 48 }],
    updates: { manager: 'apt', available: 7, security: 2, rebootRequired: false, checkedAt: NOW - 3_600_000 },
  });

export const service = (node: string, name: string, state: ServiceState['state'], expect: ServiceState['expect'] = 'running'): ServiceState =>
  checked(codecs.serviceState, {
    v: 1, node, service: name, ts: NOW - 1000, kind: 'systemd', state, expect, exists: true, since: NOW - 300_000,
    pid: state === 'running' ? 1234 : null, memoryBytes: null, cpuPercent: null, restarts: 0,
    ...(state === 'failed' ? { result: 'exit-code', exitStatus: 1 } : {}),
  });

export const check = (node: string, id: string, st: CheckResult['status'], message: string): CheckResult =>
  checked(codecs.checkResult, { v: 1, node, check: id, ts: NOW - 2000, status: st, message, durationMs: 120 });

export const summary = (): Summary =>
  checked(codecs.summary, { v: 1, ts: NOW, nodes: { total: 2, online: 1, offline: 0, lost: 1, stale: 0 }, services: { total: 3, healthy: 2, unhealthy: 1, unknown: 0 }, alerts: { open: 1 } });

export const alerts = (): Alerts =>
  checked(codecs.alerts, {
    v: 1,
    ts: NOW,
    alerts: [{ id: 'service_down:web-1:nginx.service', kind: 'service_down', node: 'web-1', target: 'nginx.service', since: NOW - 300_000, openedAt: NOW - 240_000, message: 'nginx.service on web-1 is failed, expected running' }],
  });

const RETAINED = { qos: 1, retain: true } as const;

export interface Fleet {
  viewer: Credentials;
  operator: Credentials;
  agents: Record<string, MqttClient>;
}

/** Publish the fleet's retained state through real agent and service connections. */
export async function publishFleet(tb: Pick<TestBroker, 'identity' | 'connect'>): Promise<Fleet> {
  const viewer = await tb.identity('viewer', 'carol');
  const operator = await tb.identity('operator', 'olga');
  const svc = await tb.connect(await tb.identity('service', 'proj'));
  const agents: Record<string, MqttClient> = {};
  const send = (c: MqttClient, topic: string, value: unknown) => c.publishAsync(topic, JSON.stringify(value), RETAINED);

  const web = await tb.connect(await tb.identity('agent', 'agent-web-1', 'web-1'));
  agents['web-1'] = web;
  await send(web, t.status('web-1'), status('web-1'));
  await send(web, t.birth('web-1'), birth('web-1', [
    { id: 'nginx.service', kind: 'systemd', expect: 'running', actions: ['restart'] },
    { id: 'cron.service', kind: 'systemd', expect: 'running', actions: [] },
  ], [{ id: 'backups', name: 'Backups', actions: ['run'] }]));
  await send(web, t.metrics('web-1'), metrics('web-1', 12.4));
  await send(web, t.service('web-1', 'nginx.service'), service('web-1', 'nginx.service', 'failed'));
  await send(web, t.service('web-1', 'cron.service'), service('web-1', 'cron.service', 'running'));
  await send(web, t.check('web-1', 'backups'), check('web-1', 'backups', 'FAILURE', 'no backup since Monday'));

  const db = await tb.connect(await tb.identity('agent', 'agent-db-1', 'db-1'));
  agents['db-1'] = db;
  await send(db, t.status('db-1'), status('db-1', 'lost'));
  await send(db, t.birth('db-1'), birth('db-1', [{ id: 'postgresql.service', kind: 'systemd', expect: 'running', actions: [] }]));
  await send(db, t.metrics('db-1'), metrics('db-1', 3));
  await send(db, t.service('db-1', 'postgresql.service'), service('db-1', 'postgresql.service', 'running'));

  await send(svc, t.summary(), summary());
  await send(svc, t.alerts(), alerts());
  return { viewer, operator, agents };
}
