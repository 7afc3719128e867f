/**
 * A simulated fleet for the dashboard bench: N nodes x M services as retained state (status,
 * birth, metrics, one state per service), and a stream of state flips. Every payload is built
 * with the contract's codecs, so the ui decodes exactly what agents publish.
 */
import { codecs, type Birth, type Metrics, type ServiceState, type Status, type Topics } from '@sitrep/schemas';

export interface FleetShape {
  nodes: number;
  services: number;
}

export const nodeId = (i: number) => `node-${String(i).padStart(4, '0')}`;
export const serviceId = (j: number) => `svc-${String(j).padStart(2, '0')}.service`;

const GiB = 2 ** 30;

export function retainedState(t: Topics, shape: FleetShape, now: number): { topic: string; payload: string }[] {
  const out: { topic: string; payload: string }[] = [];
  for (let i = 0; i < shape.nodes; i++) {
    const node = nodeId(i);
    const status: Status = { v: 1, node, state: 'online', session: 's1', ts: now };
    const birth: Birth = {
      v: 1,
      node,
      session: 's1',
      ts: now,
      agent: { version: 'bench', pid: 1000 + i },
      host: { hostname: `${node}.bench`, platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0', arch: 'x64', machineId: null, bootTime: now - 86_400_000, ips: ['192.0.2.1'], mac: null },
      interval: 10,
      services: Array.from({ length: shape.services }, (_, j) => ({ id: serviceId(j), kind: 'systemd' as const, expect: 'running' as const, actions: ['restart' as const] })),
      checks: [],
    };
    const metrics: Metrics = {
      v: 1,
      node,
      ts: now,
      cpu: { percent: (i * 7) % 100 },
      memory: { total: 8 * GiB, used: 2 * GiB, available: 6 * GiB, percent: 25 },
      disks: [{ mount: '/', fs: 'ext4', size: 100 * GiB, used: 40 * GiB, available: 60 * GiB, percent: 40 }],
      load: [0.5, 0.4, 0.3],
      uptime: 86_400,
    };
    out.push({ topic: t.status(node), payload: codecs.status.encode(status) });
    out.push({ topic: t.birth(node), payload: codecs.birth.encode(birth) });
    out.push({ topic: t.metrics(node), payload: codecs.metrics.encode(metrics) });
    for (let j = 0; j < shape.services; j++) out.push({ topic: t.service(node, serviceId(j)), payload: codecs.serviceState.encode(serviceState(node, serviceId(j), 'running', now)) });
  }
  return out;
}

export function serviceState(node: string, service: string, state: ServiceState['state'], ts: number): ServiceState {
  return { v: 1, node, service, ts, kind: 'systemd', state, expect: 'running', exists: true, since: ts, pid: state === 'running' ? 4242 : null, memoryBytes: null, cpuPercent: null, restarts: 0 };
}

/** The k-th update of the stream: a pseudo-random service flips between running and failed. */
export function flip(t: Topics, shape: FleetShape, k: number, now: number): { topic: string; payload: string } {
  const cell = (k * 7919) % (shape.nodes * shape.services);
  const node = nodeId(Math.floor(cell / shape.services));
  const service = serviceId(cell % shape.services);
  const state = (k >> 3) % 2 === 0 ? 'failed' : 'running';
  return { topic: t.service(node, service), payload: codecs.serviceState.encode(serviceState(node, service, state, now)) };
}
