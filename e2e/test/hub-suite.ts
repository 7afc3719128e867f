/**
 * The walking skeleton end to end: `sitrep hub` and `sitrep agent` as real processes, real TCP and
 * WebSocket, the real SQLite file. Run twice: with the hub's embedded broker (hub.e2e.test.ts), and
 * against a Mosquitto started by the test with the files `sitrep broker export-mosquitto` writes
 * (hub.mosquitto.e2e.test.ts), where the agent and the projector connect to Mosquitto and the hub
 * runs without its broker. Where the brokers differ, the test says how.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityStore } from '@sitrep/broker';
import { nextMessage, startMosquitto, waitFor, type RunningMosquitto } from '@sitrep/broker/testing';
import { bootstrapHub } from '@sitrep/cli';
import { codecs, createTopics } from '@sitrep/schemas';
import { SITREP_BIN, startHubProcess, type HubProcess } from '../src/index.js';

/** `embedded`: the hub's own broker. `mosquitto`: the binary at this path. */
export type BrokerMode = { kind: 'embedded' } | { kind: 'mosquitto'; binary: string };

export function hubSuite(mode: BrokerMode): void {
  const t = createTopics('sitrep/v1');
  let hub: HubProcess;
  let agent: ReturnType<typeof execa>;
  let db: Database.Database;
  let mosquitto: RunningMosquitto | undefined;
  const clients: MqttClient[] = [];
  const creds = { viewer: '', operator: '', agent: '' };
  /**
   * Aedes drops a client whose publish is denied; Mosquitto acknowledges it and drops the message.
   * After a drop, mqtt.js keeps the unacknowledged publish pending (rejected only at the final end).
   */
  function denial(closed: Promise<void>, published: Promise<unknown>): Promise<unknown> {
    if (mode.kind === 'mosquitto') return published;
    published.catch(() => undefined);
    return closed;
  }

  function connect(url: string, username: string, password: string): Promise<MqttClient> {
    const client = mqtt.connect(url, { protocolVersion: 4, username, password, reconnectPeriod: 0 });
    clients.push(client);
    return new Promise((resolve, reject) => {
      client.once('connect', () => resolve(client));
      client.once('error', reject);
    });
  }

  const query = <T>(sql: string, ...params: unknown[]) => db.prepare(sql).all(...params) as T[];

  beforeAll(async () => {
    // Identities exist before the hub starts: the hub keeps them and adds its own.
    const dataDir = mkdtempSync(join(tmpdir(), 'sitrep-e2e-'));
    const ids = IdentityStore.open(join(dataDir, 'identities.json'));
    creds.viewer = await ids.add('viewer', 'viewer');
    creds.operator = await ids.add('operator', 'operator');
    creds.agent = await ids.add('agent-remote-1', 'agent', { node: 'remote-1' });
    if (mode.kind === 'embedded') {
      hub = await startHubProcess(['--node', 'hub-local', '--interval', '1'], dataDir);
    } else {
      mosquitto = await startExportedMosquitto(dataDir, mode.binary);
      hub = await startHubProcess(['--node', 'hub-local', '--interval', '1', '--broker', mosquitto.url], dataDir, { wsUrl: mosquitto.wsUrl });
    }

    const config = join(dataDir, 'agent.yaml');
    writeFileSync(
      config,
      [`node: remote-1`, `broker:`, `  url: ${hub.mqttUrl}`, `  username: agent-remote-1`, `  password: ${creds.agent}`, `interval: 1s`, `stateDir: ${join(dataDir, 'remote-agent')}`].join('\n'),
    );
    agent = execa('node', [SITREP_BIN, 'agent', '--config', config], { all: true, reject: false });
    db = new Database(join(dataDir, 'sitrep.db'), { readonly: true });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    db?.close();
    agent?.kill('SIGINT');
    await agent;
    await hub?.stop();
    await mosquitto?.close();
  });

  /**
   * What an operator moving to Mosquitto does: the hub's identities exist (its first start creates
   * the internal ones), the export writes the files, Mosquitto runs with them.
   */
  async function startExportedMosquitto(dataDir: string, binary: string): Promise<RunningMosquitto> {
    await bootstrapHub(dataDir, 'hub-local');
    const passwords = join(dataDir, 'passwords');
    writeFileSync(passwords, `viewer:${creds.viewer}\noperator:${creds.operator}\nagent-remote-1:${creds.agent}\n`, { mode: 0o600 });
    const out = join(dataDir, 'mosquitto');
    await execa('node', [SITREP_BIN, 'broker', 'export-mosquitto', '--data', dataDir, '--out', out, '--passwords', passwords]);
    return startMosquitto({ binary, dir: dataDir, passwordFile: join(out, 'passwd'), aclFile: join(out, 'acl') });
  }

  describe(`sitrep hub end to end (${mode.kind} broker)`, () => {
    it('shows the local node and a remote agent in SQLite with their metrics', async () => {
      type Row = { node: string; state: string; hostname: string; cpu_percent: number | null; mem_percent: number | null; disk_percent: number | null };
      const rows = await waitFor(() => {
        const r = query<Row>("SELECT * FROM nodes WHERE state = 'online' AND mem_percent IS NOT NULL ORDER BY node");
        return r.length === 2 ? r : undefined;
      }, 'both nodes online with metrics', 30_000);
      expect(rows.map((r) => r.node)).toEqual(['hub-local', 'remote-1']);
      for (const r of rows) {
        expect(r.mem_percent).toBeGreaterThan(0);
        expect(r.cpu_percent).toBeGreaterThanOrEqual(0);
        expect(r.hostname).not.toBe('');
      }
      // Metrics are state, events go through the agent's spool: they may land a moment apart.
      const started = await waitFor(() => {
        const r = query<{ node: string; seq: number }>("SELECT node, seq FROM events WHERE type = 'AgentStarted' ORDER BY node");
        return r.length === 2 ? r : undefined;
      }, 'AgentStarted from both nodes', 15_000);
      expect(started).toEqual([{ node: 'hub-local', seq: 1 }, { node: 'remote-1', seq: 1 }]);
    });

    it('lets a viewer over WebSocket see retained state but not send a command', async () => {
      await waitFor(() => query("SELECT 1 FROM nodes WHERE node = 'remote-1' AND state = 'online'")[0], 'remote-1 online', 30_000);
      const viewer = await connect(hub.wsUrl, 'viewer', creds.viewer);
      const status = await nextMessage(viewer, t.status('remote-1'));
      expect(status.retain).toBe(true);
      const decoded = codecs.status.decode(status.payload);
      expect(decoded.ok && decoded.value.state).toBe('online');

      const closed = new Promise<void>((resolve) => viewer.once('close', () => resolve()));
      const denied = viewer.publishAsync(t.cmd('remote-1'), JSON.stringify({ id: 'from-viewer', action: 'rebirth', target: '' }), { qos: 1 });
      await denial(closed, denied);

      // An operator's command reaches the agent, which records its answer in the event log.
      const operator = await connect(hub.mqttUrl, 'operator', creds.operator);
      await operator.publishAsync(t.cmd('remote-1'), JSON.stringify({ id: 'from-operator', action: 'rebirth', target: '' }), { qos: 1 });
      const audit = await waitFor(() => {
        const r = query<{ data: string }>("SELECT data FROM events WHERE node = 'remote-1' AND type = 'CommandCompleted'");
        return r.length > 0 ? r : undefined;
      }, 'CommandCompleted from remote-1', 15_000);
      expect(audit.map((r) => (JSON.parse(r.data) as { id: string }).id)).toEqual(['from-operator']);
    });

    it('records garbage on every topic it reads as dead letters and keeps running', async () => {
      const a = await connect(hub.mqttUrl, 'agent-remote-1', creds.agent);
      const before = query<{ n: number }>('SELECT count(*) AS n FROM dead_letters')[0]!.n;
      await a.publishAsync(t.metrics('remote-1'), 'not json', { qos: 1 });
      await a.publishAsync(t.birth('remote-1'), JSON.stringify({ v: 1, node: 'remote-1', session: 'x' }), { qos: 1 });
      await a.publishAsync(t.events('remote-1'), Buffer.alloc(400 * 1024, 0x41), { qos: 1 });
      await a.publishAsync(t.status('remote-1'), JSON.stringify({ v: 1, node: 'hub-local', state: 'lost', session: 'x', ts: 1 }), { qos: 1 });
      const letters = await waitFor(() => {
        const r = query<{ topic: string; reason: string }>('SELECT topic, reason FROM dead_letters WHERE id > ? ORDER BY id', before);
        return r.length >= 4 ? r : undefined;
      }, 'four dead letters', 15_000);
      expect(letters.map((l) => l.reason)).toEqual([
        expect.stringMatching(/not JSON/),
        expect.stringMatching(/^Birth/),
        expect.stringMatching(/exceeds the limit/),
        expect.stringMatching(/does not match topic node/),
      ]);
      // A `+` in a topic name is a protocol violation: the broker drops that client, nothing else.
      const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
      a.publish('sitrep/v1/nodes/a+b/metrics', '{}', { qos: 1 });
      await closed;
      expect(hub.child.exitCode).toBeNull();
      await waitFor(() => query("SELECT 1 FROM nodes WHERE node = 'hub-local' AND state = 'online'")[0], 'hub still folding');
    });

    it('keeps an agent from publishing as another node', async () => {
      const viewer = await connect(hub.mqttUrl, 'viewer', creds.viewer);
      const seen: string[] = [];
      viewer.on('message', (_topic, payload) => seen.push(payload.toString()));
      await viewer.subscribeAsync([t.filter.status(), t.filter.cmd()], { qos: 1 });
      const a = await connect(hub.mqttUrl, 'agent-remote-1', creds.agent);
      const spoof = JSON.stringify({ v: 1, node: 'hub-local', state: 'lost', session: 'spoof', ts: Date.now() });
      const closed = new Promise<void>((resolve) => a.once('close', () => resolve()));
      const denied = a.publishAsync(t.status('hub-local'), spoof, { qos: 1, retain: true });
      await denial(closed, denied);
      // Routed after the spoof was handled: once the sentinel arrives, the spoof would have too.
      const operator = await connect(hub.mqttUrl, 'operator', creds.operator);
      await operator.publishAsync(t.cmd('nobody'), 'sentinel', { qos: 1 });
      await waitFor(() => (seen.includes('sentinel') ? true : undefined), 'the sentinel');
      expect(seen).not.toContain(spoof);
      const stored = await nextMessage(await connect(hub.mqttUrl, 'viewer', creds.viewer), t.status('hub-local'));
      expect(stored.payload.toString()).not.toContain('spoof');
    });

    it.skipIf(mode.kind !== 'embedded')('accepts an identity added with `sitrep user add` while it runs, and refuses it once removed', async () => {
      const added = await execa('node', [SITREP_BIN, 'user', 'add', 'late-viewer', '--role', 'viewer', '--data', hub.dataDir]);
      const password = /password: (\S+)/.exec(added.stdout)?.[1];
      expect(password).toBeDefined();
      const late = await connect(hub.wsUrl, 'late-viewer', password!);
      expect(late.connected).toBe(true);
      const refused = await execa('node', [SITREP_BIN, 'user', 'add', 'x', '--role', 'agent', '--data', hub.dataDir], { reject: false });
      expect(refused.exitCode).toBe(2);
      expect(refused.stderr).toBe('sitrep: user add: an agent needs --node, and only an agent takes one');
      await execa('node', [SITREP_BIN, 'user', 'remove', 'late-viewer', '--data', hub.dataDir]);
      await expect(connect(hub.wsUrl, 'late-viewer', password!)).rejects.toThrow(/Bad username or password/);
    });

    it('refuses to rebuild the database while the hub writes it', async () => {
      const r = await execa('node', [SITREP_BIN, 'projector', 'rebuild', '--db', join(hub.dataDir, 'sitrep.db')], { reject: false });
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/in use by process \d+/);
    });

    it('stops cleanly on Ctrl-C, leaving the local node offline', async () => {
      const viewer = await connect(hub.mqttUrl, 'viewer', creds.viewer);
      await nextMessage(viewer, t.status('hub-local'));
      const offline = nextMessage(viewer, t.status('hub-local'), (_t, p) => p.toString().includes('"offline"'), 15_000);
      const code = await hub.stop();
      expect(code).toBe(0);
      const status = codecs.status.decode((await offline).payload);
      expect(status.ok && status.value.state).toBe('offline');
      expect(hub.output()).toMatch(/stopped cleanly/);
    });

    it('rebuilds the read models from the log once stopped, with progress, to the same rows', async () => {
      db.close();
      const path = join(hub.dataDir, 'sitrep.db');
      const snapshot = () => {
        const d = new Database(path, { readonly: true });
        const rows = d.prepare('SELECT * FROM command_audit ORDER BY event_id').all();
        d.close();
        return rows;
      };
      const before = snapshot();
      expect(before.length).toBeGreaterThan(0);
      const r = await execa('node', [SITREP_BIN, 'projector', 'rebuild', '--db', path]);
      expect(r.stderr).toMatch(/rebuild 100% \d+\/\d+ events/);
      expect(r.stderr).toMatch(/rebuilt \d+ tables from \d+ events/);
      expect(snapshot()).toEqual(before);
    });
  });
}
