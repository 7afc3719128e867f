/**
 * What the capacity bench loads: a broker the fleet connects to and a projector database to read.
 * Two targets with the same fleet: the sitrep hub (embedded aedes + projector thread, one process), and
 * Mosquitto (Debian package) with `sitrep projector` as its own process, the files exported by the
 * same code as `sitrep broker export-mosquitto`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityStore, mosquittoAclFile, mosquittoPasswordFile } from '@sitrep/broker';
import { findMosquitto, startMosquitto } from '@sitrep/broker/testing';
import { startHubProcess, startProjectorChild } from '@sitrep/e2e';
import { createTopics } from '@sitrep/schemas';
import { enrollSimulatedNodes, type SimCredentials } from '@sitrep/simulator';

export interface CapacityTarget {
  /** Where simulated agents connect. */
  mqttUrl: string;
  /** Credentials of the simulated nodes, enrolled for this target. */
  creds: SimCredentials;
  /** The projector's SQLite file. */
  dbPath: string;
  /** Processes whose CPU and RSS are the cost of the hub. */
  pids: number[];
  /** Why the target died before `stop` (exit code and its last output), or null while it runs. */
  died(): string | null;
  /** The warnings and errors the target logged so far (last few lines), to explain a loss. */
  complaints(): string[];
  stop(): Promise<void>;
}

export interface TargetKind {
  name: string;
  /** Why it cannot run here, or null. */
  unavailable(): string | null;
  start(nodes: readonly string[]): Promise<CapacityTarget>;
}

export const sitrepHub: TargetKind = {
  name: 'sitrep hub (aedes + projector thread, one process)',
  unavailable: () => null,
  async start(nodes) {
    const hub = await startHubProcess(['--no-agent']);
    const pid = hub.child.pid;
    if (pid === undefined) throw new Error('the hub has no pid');
    const { creds } = await enrollSimulatedNodes(hub.dataDir, nodes);
    let stopping = false;
    let died: string | null = null;
    void hub.child.then((r) => {
      if (!stopping) died = `the hub exited (code ${r.exitCode}, signal ${r.signal ?? 'none'}); its last output:\n${hub.output().slice(-4000)}`;
    });
    return {
      mqttUrl: hub.mqttUrl,
      creds,
      dbPath: join(hub.dataDir, 'sitrep.db'),
      pids: [pid],
      died: () => died,
      complaints: () => complaintsIn(hub.output()),
      async stop() {
        stopping = true;
        await hub.stop();
        rmSync(hub.dataDir, { recursive: true, force: true });
      },
    };
  },
};

/** Warning and error lines of a target's output, the last few. */
function complaintsIn(output: string): string[] {
  return output.split('\n').filter((l) => /\b(warn|warning|error)\b|dropp/i.test(l)).slice(-12);
}

/** PBKDF2 rounds in the bench's password file: the fleet's first connects are not what is measured. */
const BENCH_PBKDF2_ITERATIONS = 1000;

export const mosquittoAndProjector: TargetKind = {
  name: 'Mosquitto + sitrep projector',
  unavailable: () => {
    const m = findMosquitto();
    return 'missing' in m ? m.missing : null;
  },
  async start(nodes) {
    const m = findMosquitto();
    if ('missing' in m) throw new Error(m.missing);
    const dir = mkdtempSync(join(tmpdir(), 'sitrep-capacity-mosquitto-'));
    const ids = IdentityStore.open(join(dir, 'identities.json'));
    const projector = { username: 'projector', password: await ids.add('projector', 'service') };
    const { creds } = await enrollSimulatedNodes(dir, nodes);
    const passwordFile = join(dir, 'passwd');
    const aclFile = join(dir, 'acl');
    const entries = [projector, ...nodes.map((n) => ({ username: creds.username(n), password: creds.password }))];
    writeFileSync(passwordFile, await mosquittoPasswordFile(entries, BENCH_PBKDF2_ITERATIONS), { mode: 0o600 });
    writeFileSync(aclFile, mosquittoAclFile(IdentityStore.open(join(dir, 'identities.json')).list(), createTopics(), 'capacity bench'), { mode: 0o600 });
    const broker = await startMosquitto({ binary: m.path, dir, passwordFile, aclFile });
    const dbPath = join(dir, 'sitrep.db');
    const proj = await startProjectorChild({ url: broker.url, ...projector, dbPath, dir });
    return {
      mqttUrl: broker.url,
      creds,
      dbPath,
      pids: [broker.pid, proj.child.pid].filter((p): p is number => p !== undefined),
      died: () => (proj.child.exitCode !== null ? `the projector exited (code ${proj.child.exitCode})` : null),
      complaints: () => complaintsIn(broker.output()),
      async stop() {
        await proj.stop();
        await broker.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};
