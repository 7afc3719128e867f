/**
 * Soak (issue 9): `sitrep broker` and `sitrep projector` as separate processes under a simulated
 * fleet at a high rate for N minutes, printing each one's RSS every minute. The pass condition is
 * flat memory: after the first two minutes (caches and SQLite's page cache filling), RSS may not
 * keep growing (the rule is at the end of this file). Not run in CI (it takes 10 minutes by default).
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

// Flat, for each process: (1) the last minute within 10 % (or 8 MiB) of the warmed-up level, the
// larger of minutes 2 and 3 (one sample alone can be a dip: minute 2 often follows the first
// compacting GCs and sits 15-25 MiB below the rest); and (2) no upward trend after warm-up: the
// least-squares slope over minutes 3 to the end at most 0.5 MiB a minute (30 MiB an hour).
const SLOPE_MAX = 0.5;
const warm = rows.slice(Math.min(2, rows.length - 1));
const last = rows[rows.length - 1]!;
function slope(ys: number[]): number {
  if (ys.length < 2) return 0;
  const mx = (ys.length - 1) / 2;
  const my = ys.reduce((a, y) => a + y, 0) / ys.length;
  const num = ys.reduce((a, y, x) => a + (x - mx) * (y - my), 0);
  const den = ys.reduce((a, _y, x) => a + (x - mx) ** 2, 0);
  return num / den;
}
function judge(key: 'brokerMiB' | 'projectorMiB') {
  const base = Math.max(...rows.slice(1, 3).map((r) => r[key]));
  const trend = slope(warm.map((r) => r[key]));
  return { base, last: last[key], slopeMiBPerMin: Math.round(trend * 100) / 100, flat: last[key] - base <= Math.max(8, base * 0.1) && trend <= SLOPE_MAX };
}
const broker_ = judge('brokerMiB');
const projector_ = judge('projectorMiB');
const verdict = { broker: broker_, projector: projector_, brokerFlat: broker_.flat, projectorFlat: projector_.flat, eventsExpected: expected, eventsLogged: inLog };
const say = (name: string, j: ReturnType<typeof judge>) => `${name} ${j.base} -> ${j.last} MiB, trend ${j.slopeMiBPerMin} MiB/min (${j.flat ? 'flat' : 'GROWING'})`;
console.log(`\n${say('broker', broker_)}, ${say('projector', projector_)}, events ${inLog}/${expected} logged`);
const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'soak.json');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), nodes, services, intervalSec, minutes, rows, verdict }, null, 2)}\n`);
process.exit(verdict.brokerFlat && verdict.projectorFlat && inLog === expected ? 0 : 1);
