/**
 * kill -9 of the projector in the middle of a stream of 100k events, then a restart: every event
 * ends up in the log exactly once. The projector runs as a real child process (`sitrep
 * projector`); the broker keeps its persistent session and redelivers what was not acknowledged.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, nextMessage, waitFor, type TestBroker } from '@sitrep/broker/testing';
import { createTopics } from '@sitrep/schemas';

const SITREP = fileURLToPath(new URL('../../cli/bin/sitrep.js', import.meta.url));
const t = createTopics('sitrep/v1');
const N = Number(process.env.CRASH_N ?? 100_000);

let tb: TestBroker | undefined;
const children: ResultPromise[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  await tb?.close();
});

describe('projector crash', () => {
  it('ends with every event in the log exactly once after a kill -9 mid-stream', async () => {
    tb = await startTestBroker();
    const dir = mkdtempSync(join(tmpdir(), 'sitrep-crash-'));
    const creds = await tb.identity('service', 'projector');
    writeFileSync(join(dir, 'pw'), creds.password);
    const dbPath = join(dir, 'sitrep.db');
    const viewer = await tb.connect(await tb.identity('viewer', 'v'));
    const start = async () => {
      const online = nextMessage(viewer, t.projectorStatus(), (_t, p) => p.toString().includes('"online"'), 30_000);
      const child = execa('node', [SITREP, 'projector', '--broker', tb!.tcpUrl, '--username', 'projector', '--password-file', join(dir, 'pw'), '--db', dbPath], { reject: false, all: true });
      children.push(child);
      await online;
      // Wrapped: an execa child is a promise of its exit, which `return` from async would await.
      return { child };
    };
    const { child: first } = await start();
    const reader = new Database(dbPath, { readonly: true });
    const count = () => (reader.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;

    const agent = await tb.connect(await tb.identity('agent', 'agent-n1', 'n1'));
    const publishing = (async () => {
      for (let seq = 1; seq <= N; seq++) {
        const e = { v: 1, node: 'n1', session: 's1', seq, ts: seq, type: 'AgentStarted', data: { version: '1', pid: 1 } };
        const p = agent.publishAsync(t.events('n1'), JSON.stringify(e), { qos: 1 });
        if (seq % 1000 === 0) await p; // keep a bounded window in flight
      }
    })();
    await waitFor(() => (count() >= 20_000 ? true : undefined), '20k events folded', 60_000, 20);
    first.kill('SIGKILL');
    await first;
    const atKill = count();
    expect(atKill).toBeLessThan(N);
    await publishing;
    await start();
    await waitFor(() => (count() === N ? true : undefined), `all ${N} events (had ${count()})`, 90_000, 100);
    const stats = reader.prepare('SELECT count(*) AS n, count(DISTINCT seq) AS d, min(seq) AS lo, max(seq) AS hi FROM events').get();
    expect(stats).toEqual({ n: N, d: N, lo: 1, hi: N });
    const cp = reader.prepare('SELECT contiguous_seq, max_seq FROM checkpoints WHERE node = ?').get('n1');
    expect(cp).toEqual({ contiguous_seq: N, max_seq: N });
    reader.close();
  }, 180_000);
});
