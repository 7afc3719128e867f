/** Typed payloads that pass the contract's codecs, with per-test overrides. */
import { codecs, type Birth, type CheckResult, type Metrics, type ServiceState, type Status } from '@sitrep/schemas';

export const T0 = Date.UTC(2025, 0, 1, 12, 0, 0);
const GiB = 2 ** 30;

export function status(over: Partial<Status> = {}): Status {
  return { v: 1, node: 'web-1', state: 'online', session: 's1', ts: T0, ...over };
}

export function birth(over: Partial<Birth> = {}): Birth {
  return {
    v: 1,
    node: 'web-1',
    session: 's1',
    ts: T0,
    agent: { version: '0.1.0', pid: 4242 },
    host: {
      hostname: 'web-1.example.lan',
      platform: 'linux',
      distro: 'Debian GNU/Linux',
      release: '12',
      kernel: '6.1.0-18-amd64',
      arch: 'x64',
      machineId: null,
      bootTime: null,
      ips: ['192.0.2.10'],
      mac: null,
    },
    interval: 10,
    services: [],
    checks: [],
    ...over,
  };
}

export function metrics(over: Partial<Metrics> = {}): Metrics {
  return {
    v: 1,
    node: 'web-1',
    ts: T0,
    cpu: { percent: 12.5 },
    memory: { total: 8 * GiB, used: 2 * GiB, available: 6 * GiB, percent: 25 },
    disks: [
      { mount: '/', fs: 'ext4', size: 100 * GiB, used: 40 * GiB, available: 60 * GiB, percent: 40 },
      { mount: '/home', fs: 'ext4', size: 500 * GiB, used: 450 * GiB, available: 50 * GiB, percent: 90 },
    ],
    load: [0.5, 0.25, 0.125],
    uptime: 3 * 86_400 + 4 * 3_600 + 5 * 60,
    ...over,
  };
}

export function service(over: Partial<ServiceState> = {}): ServiceState {
  return {
    v: 1,
    node: 'web-1',
    service: 'nginx.service',
    ts: T0,
    kind: 'systemd',
    state: 'running',
    expect: 'running',
    exists: true,
    since: T0 - 60_000,
    pid: 1234,
    memoryBytes: null,
    cpuPercent: null,
    restarts: 0,
    ...over,
  };
}

export function check(over: Partial<CheckResult> = {}): CheckResult {
  return { v: 1, node: 'web-1', check: 'disk', ts: T0, status: 'OK', message: 'fine', durationMs: 12, ...over };
}

const utf8 = new TextEncoder();

export const encode = {
  status: (v: Status) => utf8.encode(codecs.status.encode(v)),
  birth: (v: Birth) => utf8.encode(codecs.birth.encode(v)),
  metrics: (v: Metrics) => utf8.encode(codecs.metrics.encode(v)),
  service: (v: ServiceState) => utf8.encode(codecs.serviceState.encode(v)),
  check: (v: CheckResult) => utf8.encode(codecs.checkResult.encode(v)),
};

export const bytes = (text: string): Uint8Array => utf8.encode(text);
