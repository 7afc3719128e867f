/** The printed table: each broker's figures and the ratios against Mosquitto and aedes in memory. */
import type { Options } from './options.js';
import type { FleetResult, ThroughputResult } from './scenarios.js';

export interface BrokerResult {
  kind: string;
  qos0: ThroughputResult;
  qos1: ThroughputResult;
  latency0: ThroughputResult;
  latency1: ThroughputResult;
  fleet: FleetResult;
}

interface Row {
  label: string;
  value: (r: BrokerResult) => number | null;
  digits: number;
}

const ROWS: Row[] = [
  { label: 'QoS 0 throughput, msg/s', value: (r) => r.qos0.msgPerS, digits: 0 },
  { label: 'QoS 0 broker CPU, us/msg', value: (r) => r.qos0.brokerCpuUsPerMsg, digits: 1 },
  { label: 'QoS 1 throughput, msg/s', value: (r) => r.qos1.msgPerS, digits: 0 },
  { label: 'QoS 1 broker CPU, us/msg', value: (r) => r.qos1.brokerCpuUsPerMsg, digits: 1 },
  { label: 'QoS 0 latency p50, ms', value: (r) => r.latency0.p50Ms, digits: 2 },
  { label: 'QoS 0 latency p99, ms', value: (r) => r.latency0.p99Ms, digits: 2 },
  { label: 'QoS 1 latency p50, ms', value: (r) => r.latency1.p50Ms, digits: 2 },
  { label: 'QoS 1 latency p99, ms', value: (r) => r.latency1.p99Ms, digits: 2 },
  { label: 'fleet broker CPU, % core', value: (r) => r.fleet.brokerCpuPercent, digits: 1 },
  { label: 'fleet lag p50, ms', value: (r) => r.fleet.lagP50Ms, digits: 2 },
  { label: 'fleet lag p99, ms', value: (r) => r.fleet.lagP99Ms, digits: 2 },
  { label: 'retained fetch, ms', value: (r) => r.fleet.retainedFetchMs, digits: 0 },
  { label: 'broker RSS after fleet, MB', value: (r) => r.fleet.brokerRssMb, digits: 0 },
];

const fmt = (v: number | null, digits: number) => (v === null ? 'n/a' : v.toFixed(digits));
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? 'n/a' : `${(a / b).toFixed(2)}x`);

export function printReport(results: readonly BrokerResult[], skipped: Record<string, string>, o: Options): void {
  const by = new Map(results.map((r) => [r.kind, r]));
  const mosq = by.get('mosquitto');
  const mem = by.get('aedes-memory');
  const sql = by.get('aedes-sqlite');
  const head = ['', ...results.map((r) => r.kind), 'memory/mosq', 'sqlite/mosq', 'sqlite/memory'];
  const lines = [head];
  for (const row of ROWS) {
    const v = (r: BrokerResult | undefined) => (r === undefined ? null : row.value(r));
    lines.push([row.label, ...results.map((r) => fmt(row.value(r), row.digits)), ratio(v(mem), v(mosq)), ratio(v(sql), v(mosq)), ratio(v(sql), v(mem))]);
  }
  const widths = head.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  console.log(
    `\nbroker-throughput: 300-byte payloads; throughput ${o.qos0}/${o.qos1} messages (QoS 0/1, window ${o.window}); ` +
      `latency at ${o.rate} msg/s for ${o.latencySeconds} s; fleet ${o.nodes} connections x ${o.services + 1} retained topics, ${o.steadySeconds} s at 1 msg/s each`,
  );
  console.log('QoS 1 goes to a persistent session (clean: false), so aedes queues each message in its persistence.\n');
  for (const l of lines) console.log(l.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
  for (const r of results) {
    const f = r.fleet;
    if (f.steadyReceived !== f.steadyExpected) console.log(`${r.kind}: fleet observer got ${f.steadyReceived} of ${f.steadyExpected}`);
  }
  for (const [kind, why] of Object.entries(skipped)) console.log(`skipped ${kind}: ${why}`);
}
