/**
 * `sitrep process` and `sitrep logs` as a host operator runs them: real CLI processes against a
 * real running agent (in this test process, connected to a real broker), real supervised children.
 * Each CLI start costs seconds on a loaded machine (tsx), so the tests keep their number small.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '@sitrep/schemas';
import { startTestBroker, waitFor, type TestBroker } from '@sitrep/broker/testing';
import { loadAgentConfig, startAgent, type RunningAgent } from '@sitrep/agent';

const SITREP = fileURLToPath(new URL('../bin/sitrep.js', import.meta.url));
const sitrep = (...args: string[]) => execa('node', [SITREP, ...args], { reject: false });

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

function setup(): { dir: string; configFile: string; where: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-process-cli-'));
  dirs.push(dir);
  const configFile = join(dir, 'agent.yaml');
  writeFileSync(
    configFile,
    stringify({ broker: { url: 'mqtt://127.0.0.1:1', username: 'x', password: 'x' }, stateDir: join(dir, 'state'), processesDir: join(dir, 'processes.d'), checks: { dir: join(dir, 'checks.d') } }),
  );
  return { dir, configFile, where: ['--config', configFile] };
}

describe('sitrep process', () => {
  it('adds, lists and removes definitions, and refuses duplicates and invalid ones with the reason', async () => {
    const { dir, where } = setup();
    const added = await sitrep('process', 'add', '--id', 'web', '--env', 'PORT=8080', '--action', 'restart', '--action', 'stop', ...where, '--', process.execPath, '-e', 'console.log(1)');
    expect(added.stderr).toBe('');
    expect(added.stdout).toMatch(/^added process web in .*processes\.d\/web\.yaml; a running agent applies it at once$/);
    const text = readFileSync(join(dir, 'processes.d', 'web.yaml'), 'utf8');
    expect(text).toMatch(/^id: web$/m);
    expect(text).toMatch(/PORT: "8080"|PORT: '8080'/);

    const again = await sitrep('process', 'add', '--id', 'web', ...where, '--', '/bin/true');
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/web is already defined in .*web\.yaml; use --replace/);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'id: worker\nrestart: sometimes\n');
    const refused = await sitrep('process', 'add', bad, ...where);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toMatch(/bad\.yaml is not a valid process definition:\n {2}.*restart: /);

    const list = await sitrep('process', 'list', ...where);
    expect(list.stdout).toMatch(/^ID\s+STATE\s+PID\s+RESTARTS\s+DEFINED IN\s+COMMAND$/m);
    expect(list.stdout).toMatch(/^web\s+-\s+-\s+-\s+web\.yaml\s+\S*node -e console\.log\(1\)$/m);
    expect(list.stdout).toMatch(/states unknown: the sitrep agent is not running/);

    expect((await sitrep('process', 'remove', 'web', ...where)).stdout).toMatch(/^removed process web \(.*web\.yaml\)/);
    expect(existsSync(join(dir, 'processes.d', 'web.yaml'))).toBe(false);
  }, 180_000);

  it('acts on the hub\'s own agent with --data DIR (the directories `sitrep hub` gives it)', async () => {
    const { dir } = setup();
    const data = join(dir, 'hub-data');
    const missing = await sitrep('process', 'list', '--data', data);
    expect(missing.stderr).toBe(`sitrep: process: no hub data directory at ${data}`);
    mkdirSync(data);
    const added = await sitrep('process', 'add', '--id', 'web', '--data', data, '--', '/bin/true');
    expect(added.stderr).toBe('');
    expect(readFileSync(join(data, 'processes.d', 'web.yaml'), 'utf8')).toMatch(/^id: web$/m);
    const both = await sitrep('check', 'list', '--data', data, '--config', join(dir, 'agent.yaml'));
    expect(both.stderr).toBe("sitrep: check: --config and --data exclude each other (--data means the hub's own agent)");
    // --state overrides the directory but does not make --config and --data compatible.
    const logsBoth = await sitrep('logs', 'web', '--state', dir, '--data', data, '--config', join(dir, 'agent.yaml'));
    expect(logsBoth.stderr).toBe("sitrep: logs: --config and --data exclude each other (--data means the hub's own agent)");
  }, 180_000);

  it('a process added by the CLI runs in the running agent; logs tails and follows it; remove stops it', async () => {
    const { configFile, where } = setup();
    tb = await startTestBroker();
    const creds = await tb.identity('agent', 'agent-n1', 'n1');
    const fromFile = loadAgentConfig(configFile);
    const config = { ...fromFile, node: 'n1', broker: { ...fromFile.broker, url: tb.tcpUrl, ...creds }, interval: 3_600_000, updates: { ...fromFile.updates, enabled: false } };
    agent = await startAgent({ config, log: memoryLogger('agent') });

    const program = 'let i = 0; console.log("ready"); setInterval(() => console.log("tick " + ++i), 50);';
    const added = await sitrep('process', 'add', '--id', 'ticker', ...where, '--', process.execPath, '-e', program);
    expect(added.exitCode).toBe(0);
    await waitFor(() => agent!.processes.list().find((p) => p.service === 'ticker' && p.state === 'running' && p.pid !== null), 'ticker running', 15_000);

    const list = await sitrep('process', 'list', ...where);
    expect(list.stdout).toMatch(/^ticker\s+running\s+\d+\s+0\s+ticker\.yaml\s/m);

    await waitFor(() => (agent!.processes.tail('ticker', 5).length >= 4 ? true : undefined), 'some ticks', 10_000);
    const tail = await sitrep('logs', 'ticker', '-n', '3', ...where);
    expect(tail.exitCode).toBe(0);
    const lines = tail.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (ready|tick \d+)$/);

    // Follow until a few new ticks arrived, then Ctrl-C: a clean exit.
    const follow = execa('node', [SITREP, 'logs', 'ticker', '-n', '1', '-f', ...where], { reject: false });
    let seen = '';
    await new Promise<void>((resolve) => {
      follow.stdout!.on('data', (d: Buffer) => {
        seen += d.toString();
        if ((seen.match(/tick/g) ?? []).length >= 6) resolve();
      });
    });
    follow.kill('SIGINT');
    const ended = await follow;
    expect(ended.exitCode).toBe(0);
    const ticks = [...seen.matchAll(/tick (\d+)/g)].map((m) => Number(m[1]));
    expect(ticks.slice(1).every((n, i) => n === ticks[i]! + 1)).toBe(true);

    const unknown = await sitrep('logs', 'nope', ...where);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/^sitrep: logs: nope is neither a supervised process nor a watched unit of this agent/);

    expect((await sitrep('process', 'remove', 'ticker', ...where)).exitCode).toBe(0);
    await waitFor(() => (agent!.processes.list().length === 0 ? true : undefined), 'ticker removed', 15_000);

    await agent.stop();
    agent = undefined;
    const down = await sitrep('logs', 'ticker', ...where);
    expect(down.exitCode).toBe(2);
    expect(down.stderr).toMatch(/^sitrep: logs: the sitrep agent is not running on this host/);
  }, 180_000);
});
