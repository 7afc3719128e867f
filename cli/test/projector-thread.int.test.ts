/**
 * The hub's projector thread: started against a real broker it folds what agents publish and
 * forwards its log lines to the hub's logger; a projector that cannot start (its database held
 * by another) rejects `ready` with the reason, and the thread ends; malformed messages from the
 * thread are refused with a reason.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '@sitrep/broker/testing';
import { openMetricsReader } from '@sitrep/projector';
import { createTopics, memoryLogger } from '@sitrep/schemas';
import { loadHubConfig } from '../src/hub/config.js';
import { parseFromWorker } from '../src/hub/projector-protocol.js';
import { startProjectorThread, type ProjectorThread } from '../src/hub/projector-thread.js';
import { eventually } from './support/hub.js';

const t = createTopics('sitrep/v1');
let broker: TestBroker | undefined;
let thread: ProjectorThread | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await thread?.stop();
  thread = undefined;
  await broker?.close();
  broker = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sitrep-projector-thread-'));
  dirs.push(d);
  return d;
}

describe('the projector thread', () => {
  it('folds what an agent publishes, logs through the hub, and stops cleanly', async () => {
    broker = await startTestBroker();
    const dir = tempDir();
    const dbPath = join(dir, 'sitrep.db');
    const creds = await broker.identity('service', 'hub-projector');
    const log = memoryLogger('hub');
    thread = startProjectorThread({ dbPath, broker: { url: broker.tcpUrl, prefix: 'sitrep/v1', ...creds }, hub: loadHubConfig(undefined, false) }, log.child('projector'));
    await thread.ready;
    expect(log.lines).toContain('hub/projector info consuming session=new');

    const agent = await broker.connect(await broker.identity('agent', 'agent-web-1', 'web-1'));
    await agent.publishAsync(t.status('web-1'), JSON.stringify({ v: 1, node: 'web-1', state: 'online', session: 's1', ts: Date.now() }), { qos: 1, retain: true });
    const db = openMetricsReader(dbPath);
    try {
      const row = await eventually(async () => db.prepare("SELECT state FROM nodes WHERE node = 'web-1'").get() as { state: string } | undefined, 'web-1 folded');
      expect(row.state).toBe('online');
    } finally {
      db.close();
    }
    await thread.stop();
    thread = undefined;
    expect(log.lines).toContain('hub/projector info stopped');
  });

  it('rejects ready with the reason when the projector cannot start, and ends', async () => {
    broker = await startTestBroker();
    const dbPath = join(tempDir(), 'sitrep.db');
    // Held by another live process (the lock files of the old format: a PID alone).
    writeFileSync(`${dbPath}.lock`, `${process.ppid}\n`);
    const creds = await broker.identity('service', 'hub-projector');
    thread = startProjectorThread({ dbPath, broker: { url: broker.tcpUrl, prefix: 'sitrep/v1', ...creds }, hub: loadHubConfig(undefined, false) }, memoryLogger('hub'));
    await expect(thread.ready).rejects.toThrow(/in use by process/);
    await thread.stop(); // ends at once: the thread is gone already
    thread = undefined;
  });

  it('resolves died with why when the thread ends on its own after it was ready, and not when asked to stop', async () => {
    const stand_in = new URL('./support/dying-projector-worker.mjs', import.meta.url);
    const settings = { dbPath: join(tempDir(), 'sitrep.db'), broker: { url: 'mqtt://127.0.0.1:1', prefix: 'sitrep/v1', username: 'u', password: 'p' }, hub: loadHubConfig(undefined, false) };
    const log = memoryLogger('hub');
    for (const [how, why] of [['throw', /the projector thread failed: disk I\/O error while the hub runs/], ['exit', /the projector thread exited \(code 3\) while the hub runs/]] as const) {
      const dying = startProjectorThread({ ...settings, how } as typeof settings, log, stand_in);
      await dying.ready;
      expect((await dying.died).message).toMatch(why);
      await dying.stop(); // the thread is gone already
    }
    expect(log.lines).toContain('hub error projector thread failed error="disk I/O error"');
    // Asked to stop before it ends on its own: died never resolves.
    const stopped = startProjectorThread({ ...settings, how: 'exit' } as typeof settings, log, stand_in);
    await stopped.ready;
    let diedToo = false;
    void stopped.died.then(() => (diedToo = true));
    await stopped.stop(); // returns once the thread has exited, and its exit has been judged
    await new Promise(setImmediate); // (the judgement's callbacks run)
    expect(diedToo).toBe(false);
  });

  it('refuses malformed messages from the thread, with a reason', () => {
    expect(parseFromWorker({ kind: 'ready' })).toEqual({ ok: true, value: { kind: 'ready' } });
    expect(parseFromWorker({ kind: 'log', path: ['alerts'], level: 'warn', message: 'm', fields: { id: 'x', n: 1 } })).toMatchObject({ ok: true });
    expect(parseFromWorker(null)).toMatchObject({ ok: false, reason: 'not an object' });
    expect(parseFromWorker({ kind: 'log', path: ['a'], level: 'debug', message: 'm' })).toMatchObject({ ok: false, reason: 'log level debug' });
    expect(parseFromWorker({ kind: 'log', path: ['a'], level: 'info', message: 'm', fields: { nested: {} } })).toMatchObject({ ok: false, reason: 'log fields are not flat values' });
    expect(parseFromWorker({ kind: 'failed', name: 'E' })).toMatchObject({ ok: false });
    expect(parseFromWorker({ kind: 'boom' })).toMatchObject({ ok: false, reason: 'unknown kind "boom"' });
  });
});
