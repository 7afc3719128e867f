/**
 * Soak (issue 9): `sitrep broker` and `sitrep projector` as separate processes under a simulated
 * fleet at a high rate for N minutes, printing each one's RSS every minute. The pass condition is
 * flat memory: after the first two minutes (caches and SQLite's page cache filling), RSS may not
 * keep growing. Not run in CI (it takes 10 minutes by default).
 *
 *   pnpm --filter @sitrep/bench soak [--minutes 10] [--nodes 200] [--interval 1] [--services 20]
 *
 * Figures go to results/soak.json: per minute, both RSS values and the fleet's message and event
 * counts; the log must hold every event the fleet numbered at the end (checked, like the capacity bench).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { IdentityStore } from '@sitrep/broker';
import { freePort, startBrokerChild, startProjectorChild } from '@sitrep/e2e';
import { enrollSimulatedNodes, nodeIds, startFleet } from '@sitrep/simulator';

function num(name: string, fallback: number, min: number, max: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(v) || v < min || v > max) {
    console.error(`--${name} must be a number from ${min} to ${max}`);
    process.exit(2);
  }
  return v;
}
const minutes = num('minutes', 10, 1, 60);
const nodes = num('nodes', 200, 1, 5000);
const intervalSec = num('interval', 1, 0.2, 60);
const services = num('services', 20, 1, 100);
const log = (s: string) => console.error(`[soak] ${s}`);
const rssMiB = (pid: number) => Math.round(Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 102.4) / 10;

const dir = mkdtempSync(join(tmpdir(), 'sitrep-soak-'));
const ids = IdentityStore.open(join(dir, 'identities.json'));
const projectorCreds = { username: 'projector', password: await ids.add('projector', 'service') };
const port = await freePort();
const url = `mqtt://127.0.0.1:${port}`;
const dbPath = join(dir, 'sitrep.db');
const broker = await startBrokerChild({ dataDir: dir, port });
const projector = await startProjectorChild({ url, ...projectorCreds, dbPath, dir });
const { creds } = await enrollSimulatedNodes(dir, nodeIds(nodes));
log(`${nodes} nodes x ${services} services every ${intervalSec} s for ${minutes} min`);
const fleet = await startFleet({ url, nodes, creds, services, intervalSec, failureRate: 0.01, logLines: 5, connectRate: 100 });

const rows: { minute: number; brokerMiB: number; projectorMiB: number; published: number; events: number }[] = [];
try {
  for (let minute = 1; minute <= minutes; minute += 1) {
    await new Promise((r) => setTimeout(r, 60_000));
    const s = fleet.stats();
    const row = { minute, brokerMiB: rssMiB(broker.child.pid!), projectorMiB: rssMiB(projector.child.pid!), published: s.published, events: s.events };
    rows.push(row);
    console.log(`minute ${String(minute).padStart(2)}: broker ${row.brokerMiB} MiB, projector ${row.projectorMiB} MiB, ${s.published} messages, ${s.events} events, ${s.connected}/${s.nodes} connected`);
  }
} finally {
  await fleet.stop();
}
const expected = fleet.nodes.reduce((a, n) => a + n.host.lastSeq, 0);
const db = new Database(dbPath, { readonly: true });
const deadline = Date.now() + 120_000;
const logged = () => (db.prepare("SELECT count(*) AS n FROM events WHERE origin = 'agent'").get() as { n: number }).n;
while (logged() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 500));
const inLog = logged();
db.close();
await projector.stop();
await broker.stop();
rmSync(dir, { recursive: true, force: true });

// Flat: the last minute within 10 % (or 8 MiB) of minute 2, for both processes.
const base = rows[Math.min(1, rows.length - 1)]!;
const last = rows[rows.length - 1]!;
const flat = (a: number, b: number) => b - a <= Math.max(8, a * 0.1);
const verdict = { brokerFlat: flat(base.brokerMiB, last.brokerMiB), projectorFlat: flat(base.projectorMiB, last.projectorMiB), eventsExpected: expected, eventsLogged: inLog };
console.log(`\nbroker ${base.brokerMiB} -> ${last.brokerMiB} MiB (${verdict.brokerFlat ? 'flat' : 'GROWING'}), projector ${base.projectorMiB} -> ${last.projectorMiB} MiB (${verdict.projectorFlat ? 'flat' : 'GROWING'}), events ${inLog}/${expected} logged`);
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'soak.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), nodes, services, intervalSec, minutes, rows, verdict }, null, 2)}\n`);
process.exit(verdict.brokerFlat && verdict.projectorFlat && inLog === expected ? 0 : 1);
