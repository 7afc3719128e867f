/**
 * The `fleetSnapshot` query on a real SQLite file: what the retained topics folded into `nodes` and
 * `services` comes back in the contract's compact form, every service state reconstructible, with
 * the times it is based on; too large a fleet is refused with TOO_LARGE, not sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codecs, createTopics, FLEET_SNAPSHOT_MAX_BYTES, memoryLogger, type Birth, type FleetSnapshot } from '@sitrep/schemas';
import { answerQuery, createFolder, createIngest, openDatabase, PROJECTIONS, runQuery, type Db } from '../src/index.js';
import { serviceState, status } from './support/fixture.js';

const t = createTopics('sitrep/v1');
const T0 = Date.UTC(2026, 11, 7, 19, 0, 0);

let dir: string | undefined;
let db: Db | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function fileProjector() {
  dir = mkdtempSync(join(tmpdir(), 'sitrep-snapshot-'));
  db = openDatabase(join(dir, 'sitrep.db'));
  let clock = T0;
  const ingest = createIngest({ db, topics: t, log: memoryLogger('projector'), now: () => clock, folder: createFolder(db, PROJECTIONS), projections: PROJECTIONS });
  return {
    db,
    at: (ms: number) => (clock = ms),
    send: (topic: string, value: unknown) => ingest(topic, Buffer.from(JSON.stringify(value))),
  };
}

function birth(node: string, services: string[]): Birth {
  return {
    v: 1,
    node,
    session: 's1',
    ts: T0 - 5000,
    agent: { version: '1.2.3', pid: 7 },
    host: { hostname: `${node}.lan`, platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1', arch: 'x64', machineId: null, bootTime: null, ips: [], mac: null },
    interval: 10,
    services: services.map((id) => ({ id, kind: 'systemd', expect: 'running', actions: ['restart'] })),
    checks: [],
  };
}

/** The ServiceState fields an item and its look carry, back in ServiceState's shape. */
function expand(s: FleetSnapshot, node: string) {
  const n = s.nodes.find((x) => x.node === node)!;
  return n.items.map(([svc, look, tsAge, sinceAge, pid, memoryBytes, cpuPercent, restarts]) => ({
    service: s.services[svc],
    ...s.looks[look],
    ts: s.ts - tsAge,
    since: sinceAge === null ? null : s.ts - sinceAge,
    pid,
    memoryBytes,
    cpuPercent,
    restarts,
  }));
}

describe('fleetSnapshot query', () => {
  it('answers every node and service state the projector folded, compactly and with their times', () => {
    const p = fileProjector();
    p.send(t.status('web-1'), status('web-1', 'online'));
    p.send(t.birth('web-1'), birth('web-1', ['nginx.service', 'app.service']));
    p.send(t.service('web-1', 'nginx.service'), serviceState('web-1', 'nginx.service', 'running', T0 - 60_000, T0 - 1000));
    const failed = { ...serviceState('web-1', 'app.service', 'failed', T0 - 2000, T0 - 2000), result: 'signal', exitStatus: 9, signal: 'SIGKILL' };
    p.send(t.service('web-1', 'app.service'), failed);
    // An older state arriving late does not replace the newer one in the read model, nor here.
    p.send(t.service('web-1', 'app.service'), serviceState('web-1', 'app.service', 'running', T0 - 9000, T0 - 9000));
    p.at(T0 + 500);
    p.send(t.status('db-1'), status('db-1', 'lost'));
    p.send(t.service('db-1', 'nginx.service'), serviceState('db-1', 'nginx.service', 'running', T0 - 60_000, T0 - 3000));

    const s = runQuery(p.db, 'fleetSnapshot', {}, T0 + 1000) as FleetSnapshot;
    expect(codecs.fleetSnapshot.problem(s)).toBeNull();
    expect(s.ts).toBe(T0 + 1000);
    // One id table: nginx is named once for both nodes.
    expect([...s.services].sort()).toEqual(['app.service', 'nginx.service']);
    expect(s.nodes.map((n) => [n.node, n.state, n.session, n.since, n.seen])).toEqual([
      ['db-1', 'lost', 's1', T0 + 500, T0 + 500],
      ['web-1', 'online', 's1', T0, T0],
    ]);
    const web = s.nodes.find((n) => n.node === 'web-1')!;
    expect(web.birth).toMatchObject({ ts: T0 - 5000, hostname: 'web-1.lan', distro: 'Debian GNU/Linux', release: '12', agent: '1.2.3', interval: 10 });
    expect(web.birth!.watched.map(([svc, w]) => [s.services[svc], s.watches[w]])).toEqual([
      ['nginx.service', { kind: 'systemd', expect: 'running', actions: ['restart'] }],
      ['app.service', { kind: 'systemd', expect: 'running', actions: ['restart'] }],
    ]);
    expect(s.nodes.find((n) => n.node === 'db-1')!.birth).toBeNull();
    const { v: _v, node: _n, ...failedFields } = failed;
    expect(expand(s, 'web-1')).toEqual([
      { ...failedFields },
      { service: 'nginx.service', kind: 'systemd', state: 'running', expect: 'running', exists: true, since: T0 - 60_000, ts: T0 - 1000, pid: 42, memoryBytes: null, cpuPercent: null, restarts: 0 },
    ]);
    // Equal states share one look.
    expect(s.looks).toHaveLength(2);
  });

  it('answers through the query envelope, and an empty fleet is an empty snapshot', () => {
    const p = fileProjector();
    const request = JSON.stringify({ id: 'q1', replyTo: t.reply('ui-1') });
    const outcome = answerQuery(p.db, t, 'fleetSnapshot', Buffer.from(request), T0);
    expect(outcome).toEqual({ kind: 'replied', replyTo: t.reply('ui-1'), reply: { v: 1, id: 'q1', ok: true, data: { v: 1, ts: T0, services: [], looks: [], watches: [], nodes: [] } } });
    expect(() => runQuery(p.db, 'fleetSnapshot', { node: 'x' }, T0)).toThrow(/fleetSnapshot args/);
  });

  it('refuses a snapshot that would not fit in one reply with TOO_LARGE', () => {
    const p = fileProjector();
    const insert = p.db.prepare(
      `INSERT INTO services (node, service, kind, state, expect, exists_, since, pid, memory_bytes, cpu_percent, restarts, ts, updated_at)
       VALUES (?, ?, 'systemd', 'running', 'running', 1, ?, 4242, 123456789, 1.5, 0, ?, ?)`,
    );
    // ~50 bytes an item: enough items to pass the limit.
    const count = Math.ceil(FLEET_SNAPSHOT_MAX_BYTES / 40);
    p.db.transaction(() => {
      for (let i = 0; i < count; i++) insert.run(`n-${Math.floor(i / 100)}`, `svc-${i % 100}.service`, T0 - 86_400_000 - i, T0 - 86_400_000 - i, T0);
    })();
    const reply = answerQuery(p.db, t, 'fleetSnapshot', Buffer.from(JSON.stringify({ id: 'q2', replyTo: t.reply('ui-1') })), T0);
    expect(reply).toMatchObject({ kind: 'replied', reply: { ok: false, error: { code: 'TOO_LARGE' } } });
    if (reply.kind === 'replied' && !reply.reply.ok) expect(reply.reply.error.message).toMatch(/over the 983040-byte limit/);
  });
});
