/**
 * The hub's /metrics: a real hub (broker + projector + SQLite), a fleet publishing real payloads,
 * and the page read over HTTP, parsed by a strict exposition parser, with its authentication.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecs, type AgentEvent } from '@sitrep/schemas';
import { parseExposition, valueOf, type ParsedExposition } from './support/prometheus.js';
import { eventually, startTestHub, type TestHub } from './support/hub.js';
import { NOW, publishFleet, t, type Fleet } from './support/fleet.js';

let th: TestHub;
let fleet: Fleet;

beforeAll(async () => {
  th = await startTestHub();
  fleet = await publishFleet(th);
  const e: AgentEvent = { v: 1, node: 'web-1', session: 's-web-1', seq: 1, ts: Date.now() - 250, type: 'AgentStarted', data: { version: '0.1.0', pid: 1 } };
  expect(codecs.event.problem(e)).toBeNull();
  await fleet.agents['web-1']!.publishAsync(t.events('web-1'), JSON.stringify(e), { qos: 1 });
  // A message the projector must reject: a dead letter.
  await fleet.agents['web-1']!.publishAsync(t.metrics('web-1'), '{"v":1,"node":"web-1"}', { qos: 1, retain: false });
}, 60_000);
afterAll(() => th.close());

const basic = (u: string, p: string) => ({ authorization: `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}` });
const scrape = (headers: Record<string, string> = basic(fleet.viewer.username, fleet.viewer.password)) => fetch(`${th.httpUrl}/metrics`, { headers });

describe('GET /metrics', () => {
  let page: ParsedExposition;
  beforeAll(async () => {
    // The projector folds asynchronously: wait until what was published shows up.
    page = await eventually(async () => {
      const p = parseExposition(await (await scrape()).text());
      const folded = valueOf(p, 'sitrep_service_up', { node: 'web-1', service: 'nginx.service' }) !== undefined &&
        valueOf(p, 'sitrep_check_ok', { node: 'web-1', check: 'backups' }) !== undefined &&
        (valueOf(p, 'sitrep_projector_dead_letters') ?? 0) >= 1 && (valueOf(p, 'sitrep_projector_events_total') ?? 0) >= 1;
      return folded ? p : undefined;
    }, 'the fleet in /metrics', 30_000);
  }, 40_000);

  it('is valid Prometheus text exposition 0.0.4 with HELP and TYPE for every family', async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const parsed = parseExposition(await res.text()); // throws on any violation
    for (const name of new Set(parsed.samples.map((s) => s.name))) {
      expect(parsed.types.get(name), name).toMatch(/^(gauge|counter)$/);
      expect(parsed.help.get(name), name).toBeTruthy();
    }
  });

  it('carries node, service, check and alert gauges from the read models', () => {
    expect(valueOf(page, 'sitrep_node_up', { node: 'web-1' })).toBe(1);
    expect(valueOf(page, 'sitrep_node_up', { node: 'db-1' })).toBe(0);
    expect(valueOf(page, 'sitrep_node_state', { node: 'db-1', state: 'lost' })).toBe(1);
    expect(valueOf(page, 'sitrep_node_cpu_percent', { node: 'web-1' })).toBe(12.4);
    expect(valueOf(page, 'sitrep_node_disk_used_percent', { node: 'web-1', mount: '/srv/data' })).toBe(10);
    expect(valueOf(page, 'sitrep_node_load', { node: 'web-1', window: '5m' })).toBe(0.3);
    expect(valueOf(page, 'sitrep_node_temperature_celsius', { node: 'web-1', sensor: 'coretemp Package id 0' })).toBe(48);
    expect(valueOf(page, 'sitrep_node_updates_available', { node: 'web-1' })).toBe(7);
    expect(valueOf(page, 'sitrep_service_up', { node: 'web-1', service: 'nginx.service' })).toBe(0);
    expect(valueOf(page, 'sitrep_service_healthy', { node: 'web-1', service: 'cron.service' })).toBe(1);
    expect(valueOf(page, 'sitrep_service_state', { node: 'web-1', service: 'nginx.service', state: 'failed' })).toBe(1);
    expect(valueOf(page, 'sitrep_check_ok', { node: 'web-1', check: 'backups' })).toBe(0);
    expect(valueOf(page, 'sitrep_check_status', { node: 'web-1', check: 'backups', status: 'FAILURE' })).toBe(1);
    expect(valueOf(page, 'sitrep_check_duration_seconds', { node: 'web-1', check: 'backups' })).toBe(0.12);
    for (const kind of ['service_down', 'node_lost', 'node_stale', 'check_failing', 'process_gave_up']) {
      expect(valueOf(page, 'sitrep_alerts_open', { kind }), kind).toBeGreaterThanOrEqual(0);
    }
  });

  it("carries the projector's own health: lag, dead letters, fold rate, gaps", () => {
    expect(valueOf(page, 'sitrep_projector_events_total')).toBeGreaterThanOrEqual(1);
    expect(page.types.get('sitrep_projector_events_total')).toBe('counter');
    expect(valueOf(page, 'sitrep_projector_lag_seconds')).toBeTypeOf('number');
    expect(valueOf(page, 'sitrep_projector_last_event_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(valueOf(page, 'sitrep_projector_fold_rate_events_per_second')).toBeGreaterThan(0);
    expect(valueOf(page, 'sitrep_projector_dead_letters')).toBeGreaterThanOrEqual(1);
    expect(valueOf(page, 'sitrep_projector_dead_letters_last_hour')).toBeGreaterThanOrEqual(1);
    expect(valueOf(page, 'sitrep_projector_nodes_with_gaps')).toBe(0);
    expect(valueOf(page, 'sitrep_scrape_timestamp_seconds')).toBeGreaterThan(NOW / 1000 - 60);
  });

  it('refuses anonymous scrapes, wrong passwords and identities without a reading role', async () => {
    const anon = await scrape({});
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toMatch(/^Basic realm="sitrep metrics"/);
    expect((await scrape(basic(fleet.viewer.username, 'wrong'))).status).toBe(401);
    const agent = await th.identity('agent', 'agent-x', 'x');
    const denied = await scrape(basic(agent.username, agent.password));
    expect(denied.status).toBe(403);
    expect(await denied.text()).toMatch(/role agent may not read metrics/);
    expect((await scrape(basic(fleet.operator.username, fleet.operator.password))).status).toBe(200);
    expect((await fetch(`${th.httpUrl}/metrics`, { method: 'POST', headers: basic(fleet.viewer.username, fleet.viewer.password) })).status).toBe(405);
  });
});
