/**
 * The agent's own work over a real broker: a supervised process (state, logs, crash and restart,
 * commands) and a scheduled check (result, event, run on demand), all real child processes.
 */
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codecs, createTopics, memoryLogger, type AgentEvent } from '@sitrep/schemas';
import { nextMessage, startTestBroker, waitFor, type TestBroker } from '@sitrep/broker/testing';
import { resolveAgentConfig, startAgent, type RunningAgent } from '../src/index.js';

const t = createTopics('sitrep/v1');
let tb: TestBroker;
let agent: RunningAgent | undefined;
afterEach(async () => {
  await agent?.stop();
  await tb?.close();
});

describe('agent work', () => {
  it('supervises a process and runs checks, reporting both on the bus', async () => {
    tb = await startTestBroker();
    const dir = mkdtempSync(join(tmpdir(), 'sitrep-work-'));
    const checks = join(dir, 'checks.d');
    mkdirSync(checks);
    writeFileSync(join(checks, 'disk.sh'), '#!/bin/sh\n# name: Disk\n# schedule: 1h\necho "$(date -Iseconds), WARNING, 91% used"\n');
    chmodSync(join(checks, 'disk.sh'), 0o755);
    const creds = await tb.identity('agent', 'agent-n1', 'n1');
    const operator = await tb.connect(await tb.identity('operator', 'op'));
    const events: AgentEvent[] = [];
    operator.on('message', (topic, p) => {
      const e = codecs.event.decode(p);
      if (topic === t.events('n1') && e.ok) events.push(e.value);
    });
    await operator.subscribeAsync(t.events('n1'), { qos: 1 });
    const config = resolveAgentConfig(
      {
        node: 'n1',
        broker: { url: tb.tcpUrl, ...creds },
        interval: 3600,
        stateDir: join(dir, 'state'),
        updates: { enabled: false },
        checks: { dir: checks, allowRun: ['disk'] },
        processes: [{ id: 'worker', command: [process.execPath, '-e', 'setInterval(() => console.log("tick"), 100)'], actions: ['restart', 'kill'] }],
      },
      'test',
    );
    agent = await startAgent({ config, log: memoryLogger('agent') });

    const running = codecs.serviceState.decode((await nextMessage(operator, t.service('n1', 'worker'), (_t, p) => /"subState":"running".*"pid":\d|"pid":\d.*"subState":"running"/.test(p.toString()))).payload);
    expect(running.ok && running.value).toMatchObject({ kind: 'process', state: 'running', expect: 'running' });
    const pid = running.ok ? running.value.pid : null;
    const logs = codecs.logBatch.decode((await nextMessage(operator, t.logs('n1', 'worker'))).payload);
    expect(logs.ok && logs.value.lines.some((l) => l.text === 'tick')).toBe(true);

    const before = events.length;
    process.kill(pid!, 'SIGKILL');
    await waitFor(() => events.slice(before).find((e) => e.type === 'ServiceStateChanged' && e.data.service === 'worker' && e.data.to === 'running'), 'worker restarted', 15_000);
    const transitions = events.slice(before).flatMap((e) => (e.type === 'ServiceStateChanged' && e.data.service === 'worker' ? [[e.data.from, e.data.to, e.data.signal]] : []));
    expect(transitions).toEqual([['running', 'failed', 'SIGKILL'], ['failed', 'running', null]]);
    // The crash as the contract's events, numbered like every event, with the evidence.
    const crash = events.slice(before).find((e) => e.type === 'ServiceStateChanged' && e.data.to === 'failed');
    expect(crash?.data).toMatchObject({ result: 'signal', lastLines: expect.arrayContaining(['tick']) });
    const exited = await waitFor(() => events.slice(before).find((e) => e.type === 'ProcessExited'), 'ProcessExited');
    expect(exited.data).toMatchObject({ process: 'worker', exitCode: null, signal: 'SIGKILL', willRestart: true, restartInMs: expect.any(Number) });
    expect(exited.type === 'ProcessExited' && exited.data.lastLines?.at(-1)).toBe('tick');
    const restarted = await waitFor(() => events.slice(before).find((e) => e.type === 'ProcessRestarted'), 'ProcessRestarted');
    expect(restarted.data).toMatchObject({ process: 'worker', attempt: 1, pid: expect.any(Number) });
    expect(restarted.type === 'ProcessRestarted' && restarted.data.pid).not.toBe(pid);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));

    const ask = async (id: string, action: string, target: string) => {
      const reply = nextMessage(operator, t.cmdResult('n1'), (_t, p) => p.includes(`"${id}"`));
      await operator.publishAsync(t.cmd('n1'), JSON.stringify({ id, action, target }), { qos: 1 });
      const r = codecs.commandResult.decode((await reply).payload);
      if (!r.ok) throw new Error(r.reason);
      return r.value;
    };
    expect(await ask('r1', 'restart', 'worker')).toMatchObject({ outcome: 'ok' });
    expect(await ask('s1', 'stop', 'worker')).toMatchObject({ outcome: 'refused' });

    const result = nextMessage(operator, t.check('n1', 'disk'), (_t, p) => p.includes('WARNING'));
    expect(await ask('c1', 'run', 'disk')).toMatchObject({ outcome: 'ok', message: expect.stringMatching(/^WARNING: 91% used/) });
    const check = codecs.checkResult.decode((await result).payload);
    expect(check.ok && check.value).toMatchObject({ status: 'WARNING', message: '91% used' });
    await waitFor(() => events.find((e) => e.type === 'CheckCompleted'), 'CheckCompleted');
    const birth = codecs.birth.decode((await nextMessage(operator, t.birth('n1'))).payload);
    expect(birth.ok && birth.value.checks).toEqual([{ id: 'disk', name: 'Disk', schedule: '1h', actions: ['run'] }]);
    expect(birth.ok && birth.value.services.map((s) => [s.id, s.kind])).toEqual([['worker', 'process']]);
  }, 40_000);
});

