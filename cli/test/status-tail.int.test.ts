/**
 * `sitrep status` and `sitrep tail` as real child processes against a real broker holding real
 * retained payloads, including the ways a user gets it wrong (bad password, no broker).
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '@sitrep/broker/testing';
import { codecs, type AgentEvent } from '@sitrep/schemas';
import { sitrep, stderrSays } from './support/cli.js';
import { NOW, publishFleet, t, type Fleet } from './support/fleet.js';

let tb: TestBroker;
let fleet: Fleet;

beforeAll(async () => {
  tb = await startTestBroker();
  fleet = await publishFleet(tb);
});
afterAll(() => tb.close());

const as = (who: { username: string; password: string }) => ({ args: ['--url', tb.tcpUrl, '--user', who.username], env: { SITREP_PASSWORD: who.password } });

describe('sitrep status', () => {
  it('prints the fleet from retained state: nodes, unhealthy services, failing checks, alerts', async () => {
    const c = as(fleet.viewer);
    const r = await sitrep(['status', ...c.args], c.env);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^fleet: 2 nodes \(1 online, 0 offline, 1 lost, 0 stale\) · services: 3 \(2 healthy, 1 unhealthy, 0 unknown\) · alerts: 1 open$/m);
    expect(r.stdout).toMatch(/^NODE\s+STATE\s+SINCE\s+CPU\s+MEM\s+DISK\s+LOAD\s+UPTIME\s+SERVICES\s+CHECKS$/m);
    expect(r.stdout).toMatch(/^db-1\s+lost\s+1m ago\s+3%\s+25%\s+71%\s+0\.42\s+3d 4h\s+1\/1 ok\s+-$/m);
    expect(r.stdout).toMatch(/^web-1\s+online\s+1m ago\s+12%\s+25%\s+71%\s+0\.42\s+3d 4h\s+1\/2 ok\s+0\/1 ok$/m);
    expect(r.stdout).toMatch(/^UNHEALTHY SERVICES\n.*\nweb-1\s+nginx\.service\s+failed\s+running\s+5m ago\s+exit-code, exit 1$/m);
    expect(r.stdout).toMatch(/^web-1\s+backups\s+FAILURE\s+\S+ ago\s+no backup since Monday$/m);
    expect(r.stdout).toMatch(/^ALERTS\n.*\nservice_down\s+web-1\s+nginx\.service\s+5m ago\s+nginx\.service on web-1 is failed, expected running$/m);
    expect(r.stdout).not.toMatch(/postgresql/); // healthy services are not listed
    expect(r.exitCode).toBe(3); // something is unhealthy
  }, 30_000);

  it('--json gives the same snapshot to scripts', async () => {
    const c = as(fleet.viewer);
    const r = await sitrep(['status', '--json', ...c.args], c.env);
    const out = JSON.parse(r.stdout) as { summary: { alerts: { open: number } }; nodes: { node: string; services: { service: string }[] }[] };
    expect(out.summary.alerts.open).toBe(1);
    expect(out.nodes.map((n) => n.node).sort()).toEqual(['db-1', 'web-1']);
    expect(out.nodes.find((n) => n.node === 'web-1')?.services.map((s) => s.service).sort()).toEqual(['cron.service', 'nginx.service']);
  }, 30_000);

  it('says clearly when the password is wrong, and never echoes it', async () => {
    const r = await sitrep(['status', '--url', tb.tcpUrl, '--user', 'carol'], { SITREP_PASSWORD: 'not-the-password' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe('sitrep: the hub refused carol: bad username or password');
    expect(r.stdout).toBe('');
  }, 30_000);

  it('says clearly when nothing listens at --url', async () => {
    // A port that was free a moment ago: bind, read it, close.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const r = await sitrep(['status', '--url', `mqtt://127.0.0.1:${port}`, '--user', 'carol'], { SITREP_PASSWORD: 'x' });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^sitrep: cannot reach the hub at mqtt://127\\.0\\.0\\.1:${port}: connection refused`));
  }, 30_000);

  it('refuses to run without a password and without a terminal to ask on', async () => {
    const r = await sitrep(['status', '--url', tb.tcpUrl, '--user', 'carol'], { SITREP_PASSWORD: '' });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/no password: set SITREP_PASSWORD or give --password-file/);
  }, 30_000);
});

function event(node: string, seq: number, type: AgentEvent['type'], data: Record<string, unknown>): AgentEvent {
  const e = { v: 1, node, session: `s-${node}`, seq, ts: NOW + seq, type, data } as AgentEvent;
  const problem = codecs.event.problem(e);
  if (problem !== null) throw new Error(problem);
  return e;
}

describe('sitrep tail', () => {
  it('follows events live, one line per event, filtered by node and type', async () => {
    const c = as(fleet.viewer);
    const child = sitrep(['tail', '--node', 'web-1', '--type', 'ServiceStateChanged,CommandCompleted', '--count', '2', ...c.args], c.env);
    await stderrSays(child, 'following node web-1');
    const web = fleet.agents['web-1']!;
    const db = fleet.agents['db-1']!;
    const pub = (node: string, e: AgentEvent, client = web) => client.publishAsync(t.events(node), JSON.stringify(e), { qos: 1 });
    await pub('db-1', event('db-1', 1, 'ServiceStateChanged', { service: 'postgresql.service', from: 'running', to: 'failed' }), db);
    await pub('web-1', event('web-1', 10, 'AgentStarted', { version: '0.1.0', pid: 1 }));
    await pub('web-1', event('web-1', 11, 'ServiceStateChanged', { service: 'nginx.service', from: 'running', to: 'failed', result: 'exit-code' }));
    await web.publishAsync(t.events('web-1'), '{"v":1,"type":"Nonsense"}', { qos: 1 });
    await pub('web-1', event('web-1', 12, 'CommandCompleted', { id: 'c1', action: 'restart', target: 'nginx.service', by: 'olga', outcome: 'ok', message: 'restarted', durationMs: 40 }));
    const r = await child;
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}web-1 {2}#11 {2}ServiceStateChanged {2}nginx\.service: running -> failed \(exit-code\)$/);
    expect(lines[1]).toMatch(/ {2}web-1 {2}#12 {2}CommandCompleted {2}restart nginx\.service: ok by olga: restarted$/);
    expect(r.stderr).toMatch(/invalid event on sitrep\/v1\/nodes\/web-1\/events: AgentEvent at \/type: unknown event type "Nonsense"/);
  }, 30_000);

  it('--json prints each envelope as one JSON line', async () => {
    const c = as(fleet.viewer);
    const child = sitrep(['tail', '--json', '--count', '1', ...c.args], c.env);
    await stderrSays(child, 'following every node');
    const e = event('db-1', 2, 'AgentStarted', { version: '0.1.0', pid: 7 });
    await fleet.agents['db-1']!.publishAsync(t.events('db-1'), JSON.stringify(e), { qos: 1 });
    const r = await child;
    expect(JSON.parse(r.stdout)).toEqual(e);
  }, 30_000);

  it('rejects an unknown event type and an id that would widen the subscription', async () => {
    expect((await sitrep(['tail', '--type', 'Bogus'])).stderr).toMatch(/unknown event type "Bogus"; known: AgentStarted/);
    expect((await sitrep(['tail', '--node', '+'])).stderr).toMatch(/^sitrep: tail: --node /);
  }, 30_000);
});
