/**
 * `sitrep status` output: the summary line, one row per node, the unhealthy services and the open
 * alerts. Pure: a snapshot and a clock in, text out.
 */
import type { ServiceState } from '@sitrep/schemas';
import { isHealthy } from '@sitrep/projector';
import type { FleetSnapshot, NodeSnapshot } from '../remote/snapshot.js';
import { ago, duration, table } from '../remote/table.js';

const pct = (v: number | undefined) => (v === undefined ? '-' : `${Math.round(v)}%`);

export function serviceHealthy(s: ServiceState): boolean {
  return isHealthy(s.state, s.expect) && s.health !== 'unhealthy';
}

function nodeRow(n: NodeSnapshot, now: number): string[] {
  const m = n.metrics;
  const services = [...n.services.values()];
  const checks = [...n.checks.values()];
  const okServices = services.filter(serviceHealthy).length;
  const okChecks = checks.filter((c) => c.status === 'OK').length;
  const state = n.status?.state ?? 'unknown';
  return [
    n.node,
    state,
    n.status === undefined ? '-' : ago(n.status.ts, now),
    pct(m?.cpu.percent),
    pct(m?.memory.percent),
    pct(m?.disks[0]?.percent),
    m === undefined ? '-' : m.load[0].toFixed(2),
    m === undefined ? '-' : duration(m.uptime),
    services.length === 0 ? '-' : `${okServices}/${services.length} ok`,
    checks.length === 0 ? '-' : `${okChecks}/${checks.length} ok`,
  ];
}

export function formatStatus(s: FleetSnapshot, now: number): string {
  const out: string[] = [];
  const sum = s.summary;
  out.push(
    sum === undefined
      ? 'fleet: no summary from the projector (is the hub\'s projector running?)'
      : `fleet: ${sum.nodes.total} nodes (${sum.nodes.online} online, ${sum.nodes.offline} offline, ${sum.nodes.lost} lost, ${sum.nodes.stale} stale)` +
          ` · services: ${sum.services.total} (${sum.services.healthy} healthy, ${sum.services.unhealthy} unhealthy, ${sum.services.unknown} unknown)` +
          ` · alerts: ${sum.alerts.open} open`,
  );
  const nodes = [...s.nodes.values()].sort((a, b) => a.node.localeCompare(b.node));
  out.push('');
  out.push(nodes.length === 0 ? 'no nodes' : table(['NODE', 'STATE', 'SINCE', 'CPU', 'MEM', 'DISK', 'LOAD', 'UPTIME', 'SERVICES', 'CHECKS'], nodes.map((n) => nodeRow(n, now))));

  const unhealthy = nodes.flatMap((n) => [...n.services.values()].filter((v) => !serviceHealthy(v)));
  if (unhealthy.length > 0) {
    out.push('', 'UNHEALTHY SERVICES');
    out.push(
      table(
        ['NODE', 'SERVICE', 'STATE', 'EXPECT', 'SINCE', 'DETAIL'],
        unhealthy.map((v) => [
          v.node,
          v.service,
          v.health === 'unhealthy' ? `${v.state} (unhealthy)` : v.state,
          v.expect,
          v.since === null ? '-' : ago(v.since, now),
          [v.result, v.signal ?? (v.exitStatus === null || v.exitStatus === undefined ? undefined : `exit ${v.exitStatus}`)].filter((x) => x !== undefined && x !== 'success').join(', '),
        ]),
      ),
    );
  }
  const failing = nodes.flatMap((n) => [...n.checks.values()].filter((c) => c.status !== 'OK'));
  if (failing.length > 0) {
    out.push('', 'CHECKS NOT OK');
    out.push(table(['NODE', 'CHECK', 'STATUS', 'WHEN', 'MESSAGE'], failing.map((c) => [c.node, c.check, c.status, ago(c.ts, now), c.message.split('\n')[0] ?? ''])));
  }
  const alerts = s.alerts?.alerts ?? [];
  if (alerts.length > 0) {
    out.push('', 'ALERTS');
    out.push(table(['KIND', 'NODE', 'TARGET', 'SINCE', 'MESSAGE'], alerts.map((a) => [a.kind, a.node, a.target ?? '-', ago(a.since, now), a.message])));
  }
  for (const i of s.invalid) out.push('', `invalid retained payload on ${i.topic}: ${i.reason}`);
  return `${out.join('\n')}\n`;
}

/** The snapshot as plain JSON (maps become objects) for scripts. */
export function statusJson(s: FleetSnapshot): unknown {
  return {
    summary: s.summary ?? null,
    alerts: s.alerts?.alerts ?? [],
    nodes: [...s.nodes.values()].map((n) => ({
      node: n.node,
      status: n.status ?? null,
      birth: n.birth ?? null,
      metrics: n.metrics ?? null,
      services: [...n.services.values()],
      checks: [...n.checks.values()],
    })),
    invalid: s.invalid,
  };
}
