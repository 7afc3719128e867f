/**
 * Fault injection (issue 9): the broker and the projector as separate real processes, a simulated
 * fleet of real MQTT connections publishing a steady stream, and one fault per test in the middle
 * of it. Afterwards: every event the fleet numbered is in the log exactly once, the read models
 * equal a rebuild from the log, and the retained state on the broker matches the fleet.
 * Each phase waits on a condition (messages, rows) with a deadline, never on a fixed sleep.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { IdentityStore } from '@sitrep/broker';
import { PROJECTIONS, derivedReadModels } from '@sitrep/projector';
import { codecs, createTopics } from '@sitrep/schemas';
import { enrollSimulatedNodes, nodeIds, startFleet, type Fleet } from '@sitrep/simulator';
import { freePort, SITREP_BIN, startBrokerChild, startProjectorChild, type Child } from '../src/index.js';

const t = createTopics();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Rig {
  dir: string;
  url: string;
  port: number;
  dbPath: string;
  projectorCreds: { username: string; password: string };
  viewerCreds: { username: string; password: string };
  broker: Child;
  projector: Child;
  fleet: Fleet;
}

async function rig(nodes = 12): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-faults-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const ids = IdentityStore.open(join(dir, 'identities.json'));
  const projectorCreds = { username: 'projector', password: await ids.add('projector', 'service') };
  const viewerCreds = { username: 'viewer', password: await ids.add('viewer', 'viewer') };
  const port = await freePort();
  const url = `mqtt://127.0.0.1:${port}`;
  const dbPath = join(dir, 'sitrep.db');
  const r: Partial<Rig> = { dir, url, port, dbPath, projectorCreds, viewerCreds };
  r.broker = await startBrokerChild({ dataDir: dir, port });
  cleanups.push(() => r.broker!.kill9());
  r.projector = await startProjectorChild({ url, ...projectorCreds, dbPath, dir });
  cleanups.push(() => r.projector!.kill9());
  const { creds } = await enrollSimulatedNodes(dir, nodeIds(nodes));
  // Fast ticks and frequent failures: a dense stream of events, state changes and retained states.
  r.fleet = await startFleet({ url, nodes, creds, intervalSec: 0.25, services: 6, checks: 2, checkEvery: 4, failureRate: 0.05, logLines: 1, connectRate: 50 });
  cleanups.push(() => r.fleet!.stop());
  return r as Rig;
}


/** Resolve once `cond` holds, polling a database or counter (it has no event to wait on). */
async function until(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The fleet publishes at least `n` more events (the stream keeps flowing across the fault). */
const moreEvents = (fleet: Fleet, n: number) => {
  const start = fleet.stats().events;
  return until(`${n} more events from the fleet`, () => fleet.stats().events >= start + n);
};

function dump(db: Database.Database, tables: readonly string[]): Record<string, unknown[]> {
  return Object.fromEntries(
    tables.map((name) => {
      const columns = (db.prepare(`PRAGMA table_info(${name})`).all() as unknown[]).length;
      const order = Array.from({ length: columns }, (_, i) => i + 1).join(', ');
      return [name, db.prepare(`SELECT * FROM ${name} ORDER BY ${order}`).all()];
    }),
  );
}

/** After the fault: stop the fleet, then check the log, a rebuild, and the retained states. */
async function verify(r: Rig, killed: ReadonlySet<string> = new Set()): Promise<void> {
  await r.fleet.stop();
  const lastSeq = new Map(r.fleet.nodes.map((n) => [n.host.node, n.host.lastSeq]));
  // A node killed mid-stream may lose what was in flight (a simulated node has no disk spool):
  // its log must hold 1..k with every acknowledged event, k at most what it numbered.
  const acked = new Map(r.fleet.nodes.map((n) => [n.host.node, n.ackedEvents]));
  const expected = [...lastSeq].reduce((a, [node, last]) => a + (killed.has(node) ? acked.get(node)! : last), 0);
  const db = new Database(r.dbPath, { readonly: true });
  try {
    const simulated = () => (db.prepare("SELECT node, count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM events WHERE origin = 'agent' GROUP BY node").all() as { node: string; n: number; lo: number; hi: number }[]).filter((p) => lastSeq.has(p.node));
    await until(`the projector to log all ${expected} events`, () => simulated().reduce((a, p) => a + p.n, 0) >= expected);
    const perNode = simulated();
    // Exactly once: seq 1..last for every node, no more rows than numbers ((node, seq) is unique).
    const got = new Map(perNode.map((p) => [p.node, p]));
    for (const node of killed) {
      const p = got.get(node)!;
      expect([p.lo, p.n]).toEqual([1, p.hi]);
      expect(p.hi).toBeGreaterThanOrEqual(acked.get(node)!);
      expect(p.hi).toBeLessThanOrEqual(lastSeq.get(node)!);
      got.delete(node);
    }
    const others = [...lastSeq].filter(([node]) => !killed.has(node));
    expect(Object.fromEntries([...got].map(([node, p]) => [node, [p.n, p.lo, p.hi]]))).toEqual(Object.fromEntries(others.map(([node, last]) => [node, [last, 1, last]])));
  } finally {
    db.close();
  }

  // Retained state on the broker equals the fleet's final state (a late dashboard sees the truth).
  const viewer = mqtt.connect(r.url, { protocolVersion: 4, ...r.viewerCreds, reconnectPeriod: 0 });
  cleanups.push(() => viewer.endAsync(true));
  await new Promise<void>((res, rej) => (viewer.once('connect', () => res()), viewer.once('error', rej)));
  const retained = new Map<string, string>();
  const want = new Map<string, string>();
  for (const n of r.fleet.nodes) for (const [svc, state] of n.host.serviceStates()) want.set(`${n.host.node}/${svc}`, state);
  viewer.on('message', (topic, payload) => {
    const s = codecs.serviceState.decode(payload);
    if (s.ok) retained.set(`${s.value.node}/${s.value.service}`, s.value.state);
  });
  await viewer.subscribeAsync(t.filter.services(), { qos: 1 });
  await until('every retained service state', () => retained.size >= want.size && [...want].every(([k, v]) => retained.get(k) === v), 10_000).catch(() => undefined);
  expect(Object.fromEntries(retained)).toEqual(Object.fromEntries(want));

  // The read models equal a rebuild from the log (on a copy, with the projector stopped).
  await r.projector.stop();
  const copy = join(r.dir, 'rebuilt.db');
  copyFileSync(r.dbPath, copy);
  if (existsSync(`${r.dbPath}-wal`)) copyFileSync(`${r.dbPath}-wal`, `${copy}-wal`);
  const rebuilt = await execa('node', [SITREP_BIN, 'projector', 'rebuild', '--db', copy], { all: true, reject: false });
  expect(rebuilt.exitCode, rebuilt.all).toBe(0);
  const tables = derivedReadModels(PROJECTIONS);
  const live = new Database(r.dbPath, { readonly: true });
  const again = new Database(copy, { readonly: true });
  try {
    expect(dump(again, tables)).toEqual(dump(live, tables));
  } finally {
    live.close();
    again.close();
  }
}

// Three real processes start per test (tsx compiles on start): generous per-test budgets.
describe('fault injection under a loaded stream', { timeout: 180_000 }, () => {
  it('projector killed with SIGKILL and restarted: every event exactly once', async () => {
    const r = await rig();
    await moreEvents(r.fleet, 200);
    await r.projector.kill9();
    await moreEvents(r.fleet, 200); // queued for the projector's persistent session meanwhile
    r.projector = await startProjectorChild({ url: r.url, ...r.projectorCreds, dbPath: r.dbPath, dir: r.dir });
    await moreEvents(r.fleet, 100);
    await verify(r);
  });

  it('projector stopped for a while, then back: catches up on everything', async () => {
    const r = await rig();
    await moreEvents(r.fleet, 100);
    await r.projector.stop();
    await moreEvents(r.fleet, 600);
    r.projector = await startProjectorChild({ url: r.url, ...r.projectorCreds, dbPath: r.dbPath, dir: r.dir });
    await moreEvents(r.fleet, 100);
    await verify(r);
  });

  it('broker killed with SIGKILL mid-stream and restarted on the same port: nothing lost', async () => {
    const r = await rig();
    await moreEvents(r.fleet, 200);
    await r.broker.kill9();
    await moreEvents(r.fleet, 100); // numbered and queued by the nodes while there is no broker
    r.broker = await startBrokerChild({ dataDir: r.dir, port: r.port });
    await until('the fleet back online', () => r.fleet.stats().connected === r.fleet.nodes.length, 60_000);
    await moreEvents(r.fleet, 100);
    await verify(r);
  });

  it('broker restarted while the nodes hold events back for several seconds: all delivered', async () => {
    const r = await rig();
    await moreEvents(r.fleet, 100);
    await r.broker.stop();
    await moreEvents(r.fleet, 300);
    r.broker = await startBrokerChild({ dataDir: r.dir, port: r.port });
    await until('the fleet back online', () => r.fleet.stats().connected === r.fleet.nodes.length, 60_000);
    await moreEvents(r.fleet, 100);
    await verify(r);
  });

  it('a real agent killed with SIGKILL mid-stream and restarted: its numbered events all logged exactly once, no gap', async () => {
    const r = await rig(4);
    const ids = IdentityStore.open(join(r.dir, 'identities.json'));
    const password = await ids.add('agent-a1', 'agent', { node: 'a1' });
    const stateDir = join(r.dir, 'agent-state');
    const checksDir = join(r.dir, 'checks.d');
    mkdirSync(checksDir, { recursive: true });
    const config = join(r.dir, 'agent.yaml');
    // Five probes every second: a steady stream of CheckCompleted events from a real agent process.
    const probes = Array.from({ length: 5 }, (_, i) => `  - { id: p${i}, schedule: 1s, probe: { type: command, argv: [/bin/true] } }`);
    writeFileSync(config, [`node: a1`, `broker:`, `  url: ${r.url}`, `  username: agent-a1`, `  password: ${password}`, `interval: 5s`, `stateDir: ${stateDir}`, `checks:`, `  dir: ${checksDir}`, `probes:`, ...probes, ''].join('\n'));
    const startAgent = () => execa('node', [SITREP_BIN, 'agent', '--config', config], { all: true, reject: false, env: { NODE_ENV: 'test' } });
    const db = new Database(r.dbPath, { readonly: true });
    const a1 = () => db.prepare("SELECT count(*) AS n, coalesce(max(seq), 0) AS hi FROM events WHERE node = 'a1' AND origin = 'agent'").get() as { n: number; hi: number };
    try {
      let agent = startAgent();
      cleanups.push(() => void agent.kill('SIGKILL'));
      await until('30 events from the agent', () => a1().n >= 30, 60_000);
      agent.kill('SIGKILL');
      await agent;
      const atKill = a1().hi;
      agent = startAgent();
      await until('30 more events after the restart', () => a1().n >= atKill + 30, 60_000);
      agent.kill('SIGTERM');
      await agent;
      await until('the log to settle', () => {
        const { n, hi } = a1();
        return n === hi;
      }, 30_000);
      const { n, hi } = a1();
      expect(n).toBe(hi); // 1..hi, each once: nothing lost across the kill, no duplicate
      expect(hi).toBeGreaterThan(atKill);
      const started = db.prepare("SELECT count(*) AS n FROM events WHERE node = 'a1' AND type = 'AgentStarted'").get() as { n: number };
      expect(started.n).toBe(2);
      const gaps = db.prepare("SELECT count(*) AS n FROM events WHERE node = 'a1' AND type = 'GapDetected'").get() as { n: number };
      expect(gaps.n).toBe(0);
    } finally {
      db.close();
    }
    await verify(r);
  });

  it('a node killed without a goodbye is reported lost, and its events up to then are all logged', async () => {
    const r = await rig(6);
    await moreEvents(r.fleet, 150);
    const victim = r.fleet.nodes[0]!;
    const viewer = mqtt.connect(r.url, { protocolVersion: 4, ...r.viewerCreds, reconnectPeriod: 0 });
    cleanups.push(() => viewer.endAsync(true));
    await new Promise<void>((res, rej) => (viewer.once('connect', () => res()), viewer.once('error', rej)));
    await viewer.subscribeAsync(t.status(victim.host.node), { qos: 1 });
    const lost = new Promise<void>((res) =>
      viewer.on('message', (_topic, payload) => {
        if (codecs.status.decode(payload).ok && JSON.parse(payload.toString()).state === 'lost') res();
      }),
    );
    victim.kill();
    await lost;
    const db = new Database(r.dbPath, { readonly: true });
    try {
      await until('NodeLost in the log', () => (db.prepare("SELECT count(*) AS n FROM events WHERE type = 'NodeLost' AND node = ?").get(victim.host.node) as { n: number }).n === 1);
    } finally {
      db.close();
    }
    await moreEvents(r.fleet, 100);
    await verify(r, new Set([victim.host.node]));
  });
});
