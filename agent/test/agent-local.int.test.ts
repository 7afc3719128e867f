/**
 * What the agent offers on its own host and to late subscribers, with a real broker, real child
 * processes and the real unix socket: `logs/{id}/tail` for subscribers that come late, the local
 * control socket behind `sitrep logs` and `sitrep process list`, and process definitions dropped
 * into processesDir while the agent runs.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codecs, createTopics, memoryLogger, type ServiceState } from '@sitrep/schemas';
import { ProcessConfig } from '@sitrep/schemas/config';
import { nextMessage, startTestBroker, type TestBroker } from '@sitrep/broker/testing';
import { agentSocketPath, askAgent, removeDefinition, resolveAgentConfig, saveDefinition, startAgent, type ControlMessage, type RunningAgent } from '../src/index.js';

const t = createTopics('sitrep/v1');
const NODE = process.execPath;
let tb: TestBroker | undefined;
let agent: RunningAgent | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await agent?.stop();
  agent = undefined;
  await tb?.close();
  tb = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(extra: Record<string, unknown>): Promise<{ dir: string; stateDir: string }> {
  tb = await startTestBroker();
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-local-'));
  dirs.push(dir);
  const stateDir = join(dir, 'state');
  const creds = await tb.identity('agent', 'agent-n1', 'n1');
  const config = resolveAgentConfig(
    { node: 'n1', broker: { url: tb.tcpUrl, ...creds }, interval: 3600, stateDir, updates: { enabled: false }, checks: { dir: join(dir, 'checks.d') }, ...extra },
    'test',
  );
  agent = await startAgent({ config, log: memoryLogger('agent') });
  return { dir, stateDir };
}

const PRINTER = [NODE, '-e', 'for (let i = 1; i <= 150; i++) console.log("line " + i); setInterval(() => {}, 1000);'];
const TICKER = [NODE, '-e', 'let i = 0; setInterval(() => console.log("tick " + ++i), 40);'];

/** Every line of a tail (no follow). */
async function tail(sock: string, id: string, lines: number): Promise<string[]> {
  const got: string[] = [];
  await askAgent(sock, { op: 'logs', id, lines, follow: false }, (m) => {
    if (m.type === 'lines') got.push(...m.lines.map((l) => l.text));
  });
  return got;
}

describe('late subscribers', () => {
  it('a subscriber connecting after 150 lines were printed receives exactly the last 100', async () => {
    await start({ processes: [{ id: 'printer', command: PRINTER }] });
    const observer = await tb!.connect(await tb!.identity('viewer', 'early'));
    await nextMessage(observer, t.logsTail('n1', 'printer'), (_t, p) => {
      const b = codecs.logBatch.decode(p);
      return b.ok && b.value.lines.at(-1)?.text === 'line 150';
    });

    const late = await tb!.connect(await tb!.identity('viewer', 'late'));
    const batches: string[] = [];
    late.on('message', (topic) => {
      if (topic === t.logs('n1', 'printer')) batches.push(topic);
    });
    await late.subscribeAsync(t.filter.logs('n1'), { qos: 0 });
    const got = await nextMessage(late, t.logsTail('n1', 'printer'));
    expect(got.retain).toBe(true);
    const snapshot = codecs.logBatch.decode(got.payload);
    if (!snapshot.ok) throw new Error(snapshot.reason);
    expect(snapshot.value).toMatchObject({ v: 1, node: 'n1', source: 'printer' });
    expect(snapshot.value.lines.map((l) => l.text)).toEqual(Array.from({ length: 100 }, (_, i) => `line ${i + 51}`));
    // The batches themselves are a stream, not replayed to late subscribers.
    expect(batches).toEqual([]);
  });
});

describe('local control socket', () => {
  it('tails and follows a process from the ring buffer, lists processes, refuses unknown ids and bad requests', async () => {
    const { stateDir } = await start({ processes: [{ id: 'printer', command: PRINTER }, { id: 'ticker', command: TICKER }] });
    const sock = agentSocketPath(stateDir);
    expect(statSync(sock).mode & 0o777).toBe(0o600);

    const last3 = await waitForValue(async () => {
      const lines = await tail(sock, 'printer', 3);
      return lines.at(-1) === 'line 150' ? lines : undefined;
    }, 'the printer to print everything');
    expect(last3).toEqual(['line 148', 'line 149', 'line 150']);

    // Follow: the tail, then new lines as they come, with neither a gap nor a repeat between the two.
    const followed: number[] = [];
    const stop = new AbortController();
    const following = askAgent(sock, { op: 'logs', id: 'ticker', lines: 2, follow: true }, (m) => {
      if (m.type === 'lines') followed.push(...m.lines.map((l) => Number(l.text.split(' ')[1])));
      if (followed.length >= 12) stop.abort();
    }, stop.signal);
    await following;
    expect(followed.length).toBeGreaterThanOrEqual(12);
    expect(followed.slice(1).every((n, i) => n === followed[i]! + 1)).toBe(true);

    const listed: ControlMessage[] = [];
    await askAgent(sock, { op: 'processes' }, (m) => listed.push(m));
    const processes = listed.flatMap((m) => (m.type === 'processes' ? m.processes : []));
    expect(processes.map((p) => [p.service, p.kind, p.state])).toEqual([['printer', 'process', 'running'], ['ticker', 'process', 'running']]);
    expect(processes[0]!.pid).toEqual(expect.any(Number));

    await expect(tail(sock, 'nope', 10)).rejects.toMatchObject({ code: 'UNKNOWN_ID', message: expect.stringMatching(/^nope is neither .*known: printer, ticker/) });

    const raw = await new Promise<string>((resolve, reject) => {
      const s = connect(sock);
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('close', () => resolve(text));
      s.on('error', reject);
      s.write('{"op":"exec","argv":["rm","-rf","/"]}\n');
    });
    const answer = JSON.parse(raw) as ControlMessage;
    expect(answer).toMatchObject({ type: 'error', code: 'BAD_REQUEST' });

    await agent!.stop();
    agent = undefined;
    expect(existsSync(sock)).toBe(false);
    await expect(tail(sock, 'printer', 1)).rejects.toMatchObject({ code: 'AGENT_NOT_RUNNING', message: expect.stringMatching(/agent is not running/) });
  });
});

describe('process definitions at run time', () => {
  it('starts a process dropped into processesDir and stops it when its file is removed, without a restart', async () => {
    const base = mkdtempSync(join(tmpdir(), 'sitrep-defs-'));
    dirs.push(base);
    const defs = join(base, 'processes.d');
    mkdirSync(defs);
    await start({ processesDir: defs });
    const viewer = await tb!.connect(await tb!.identity('viewer', 'v'));
    const state = (p: Buffer): ServiceState | null => {
      const s = codecs.serviceState.decode(p);
      return s.ok ? s.value : null;
    };

    const running = nextMessage(viewer, t.service('n1', 'late'), (_t, p) => state(p)?.subState === 'running', 10_000);
    const born = nextMessage(viewer, t.birth('n1'), (_t, p) => p.includes('"late"'), 10_000);
    saveDefinition(defs, ProcessConfig.parse({ id: 'late', command: [NODE, '-e', 'setInterval(() => {}, 1000)'], actions: ['restart'] }));
    expect(state((await running).payload)).toMatchObject({ kind: 'process', state: 'running', pid: expect.any(Number) });
    const birth = codecs.birth.decode((await born).payload);
    expect(birth.ok && birth.value.services).toEqual([{ id: 'late', kind: 'process', expect: 'running', actions: ['restart'] }]);

    const cleared = nextMessage(viewer, t.service('n1', 'late'), (_t, p) => p.length === 0, 15_000);
    const reborn = nextMessage(viewer, t.birth('n1'), (_t, p) => !p.includes('"late"'), 15_000);
    expect(removeDefinition(defs, 'late')).toBe(true);
    await cleared;
    const after = codecs.birth.decode((await reborn).payload);
    expect(after.ok && after.value.services).toEqual([]);
    expect(agent!.processes.list()).toEqual([]);
  });
});

/** Poll an async probe until it yields a value (bounded). */
async function waitForValue<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
