/**
 * The whole deployment path in a real systemd: the built single-file agent, installed by
 * install-agent.sh inside a sandbox, running under the shipped unit, publishing to a broker on
 * the host (the sandbox shares the host's network namespace). The steps run in order, each on
 * the state the previous one left, as an operator would do them.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextMessage, startTestBroker, type Credentials, type TestBroker } from '@sitrep/broker/testing';
import { codecs, createTopics } from '@sitrep/schemas';
import {
  AGENT_ARTIFACT,
  INSTALL_SCRIPT,
  buildAgent,
  sandboxUnavailable,
  startSandbox,
  unitProperties,
  waitForUnit,
  type ExecResult,
  type Sandbox,
} from '../src/index.js';
import { recordMessages, type Recorder } from './support/messages.js';

const unavailable = sandboxUnavailable();
if (unavailable !== null) console.warn(`SKIPPING deploy/test/agent-install.test.ts: ${unavailable}`);

const NODE = 'sdtest';
const UNIT = 'sitrep-agent.service';
const EXTRA = '/root/agent-extra.yaml';
const FILES = ['/opt/sitrep/sitrep-agent.cjs', '/etc/sitrep/agent.password', '/etc/sitrep/agent.yaml', `/etc/systemd/system/${UNIT}`];
const t = createTopics();

const lines = (r: ExecResult) => r.stdout.split('\n').filter((l) => l !== '');

describe.skipIf(unavailable !== null)('install-agent.sh and the agent unit, in a real systemd', () => {
  let tb: TestBroker;
  let sb: Sandbox;
  let agent: Credentials;
  let viewer: MqttClient;
  let bus: Recorder;
  const outputs: string[] = [];

  /** Run the installer inside the sandbox, the password on stdin unless `null`; keeps every output. */
  async function install(args: string[] = [], password: string | null = agent.password): Promise<ExecResult> {
    const base = ['--artifact', AGENT_ARTIFACT, '--hub', tb.tcpUrl, '--node', NODE, '--config-extra', EXTRA];
    const withPassword = password === null ? [] : ['--password-stdin'];
    const input = password ?? undefined;
    const r = await sb.exec(['bash', INSTALL_SCRIPT, ...base, ...withPassword, ...args], { input, allowFailure: true, timeoutMs: 90_000 });
    outputs.push(r.stdout, r.stderr);
    return r;
  }

  beforeAll(async () => {
    tb = await startTestBroker();
    agent = await tb.identity('agent', `agent-${NODE}`, NODE);
    viewer = await tb.connect(await tb.identity('viewer', 'viewer-sdtest'));
    bus = await recordMessages(viewer, t.filter.node(NODE));
    const [built, sandbox] = await Promise.all([buildAgent(), startSandbox()]);
    sb = sandbox;
    console.info(`artifact ${built.bytes} bytes in ${built.ms} ms; sandbox ${sb.name}: deps ${sb.timings.depsMs} ms, rootfs ${sb.timings.buildMs} ms, boot ${sb.timings.upMs} ms`);
    // One watched unit, so the agent opens its D-Bus connection (it watches nothing otherwise).
    await sb.writeFile(EXTRA, 'interval: 2s\nservices:\n  - unit: systemd-journald.service\n    expect: running\n');
  });

  afterAll(async () => {
    await sb?.stop();
    await tb?.close();
  });

  it('refuses bad flags and a config the agent would refuse, before touching anything', async () => {
    const base = ['--artifact', AGENT_ARTIFACT, '--hub', tb.tcpUrl, '--node', NODE, '--password-stdin'];
    const notRoot = await sb.exec(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'bash', INSTALL_SCRIPT, ...base], {
      input: agent.password,
      allowFailure: true,
    });
    expect(notRoot).toMatchObject({ exitCode: 1, stderr: expect.stringContaining('must run as root') });
    const badNode = await install(['--node', 'Web 1']);
    expect(badNode.exitCode).toBe(2);
    expect(badNode.stderr).toContain("--node 'Web 1' is not a node id");
    const badUrl = await install(['--hub', 'http://hub:1883']);
    expect(badUrl.exitCode).toBe(2);
    expect(badUrl.stderr).toContain('is not a broker URL');
    const noPassword = await install([], null);
    expect(noPassword.exitCode).toBe(2);
    expect(noPassword.stderr).toContain('no password');

    await sb.writeFile('/root/bad-extra.yaml', 'interval: soon\n');
    const badConfig = await install(['--config-extra', '/root/bad-extra.yaml']);
    expect(badConfig.exitCode).toBe(1);
    expect(badConfig.stderr).toContain('the agent refuses this config (nothing was changed)');
    expect(badConfig.stderr).toContain('/etc/sitrep/agent.yaml is invalid: interval:');

    const left = await sb.exec(['ls', '-d', '/etc/sitrep', '/opt/sitrep', ...FILES, '/var/lib/sitrep-agent'], { allowFailure: true });
    expect(left.stdout).toBe('');
  });

  it('installs the files, enables and starts the unit', async () => {
    const r = await install();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lines(r)).toEqual([...FILES.map((f) => `updated: ${f}`), 'reloaded: systemd (unit changed)', `enabled: ${UNIT}`, `started: ${UNIT}`]);
    const modes = await sb.exec(['stat', '-c', '%a %U:%G %n', ...FILES]);
    expect(lines(modes)).toEqual(['755', '600', '640', '644'].map((mode, i) => `${mode} root:root ${FILES[i]}`));
    const unit = await sb.readFile(`/etc/systemd/system/${UNIT}`);
    expect(unit).toContain('\nExecStart=/usr/local/bin/node --lite-mode --no-expose-wasm --max-semi-space-size=1 --max-old-space-size=96 /opt/sitrep/sitrep-agent.cjs --config /etc/sitrep/agent.yaml\n');
    expect(await sb.readFile('/etc/sitrep/agent.password')).toBe(`${agent.password}\n`);
    await waitForUnit(sb, UNIT, ['ActiveState', 'SubState'], (p) => p.ActiveState === 'active' && p.SubState === 'running', 'running');
    expect((await sb.exec(['systemctl', 'is-enabled', UNIT])).stdout.trim()).toBe('enabled');
  });

  it('publishes a retained online status, a birth and metrics to the hub', async () => {
    const status = await bus.next(t.status(NODE), codecs.status, (s) => s.state === 'online', 'status online');
    const birth = await bus.next(t.birth(NODE), codecs.birth, (b) => b.session === status.session, 'birth of this session');
    const metrics = await bus.next(t.metrics(NODE), codecs.metrics, () => true, 'metrics');
    const { MainPID } = await unitProperties(sb, UNIT, ['MainPID']);
    // The pid is the unit's main process as the container sees it: the agent runs under systemd.
    expect(birth.agent.pid).toBe(Number(MainPID));
    expect(birth.host.machineId).toBe((await sb.readFile('/etc/machine-id')).trim());
    expect(birth.interval).toBe(2);
    expect(metrics.memory.total).toBeGreaterThan(0);
    expect(metrics.cpu.percent).toBeGreaterThanOrEqual(0);
    expect(metrics.uptime).toBeGreaterThan(0);

    const late = await tb.connect(await tb.identity('viewer', 'viewer-late'));
    const retained = await nextMessage(late, t.status(NODE));
    expect(retained.retain).toBe(true);
    expect(codecs.status.decode(retained.payload)).toMatchObject({ ok: true, value: { state: 'online', session: status.session } });
  });

  it('talks to the system D-Bus from the bundle (no native usocket)', async () => {
    const { MainPID } = await unitProperties(sb, UNIT, ['MainPID']);
    type Peer = { name: string; pid: number | null; unit: string | null };
    const deadline = Date.now() + 15_000;
    let peers: Peer[] = [];
    // The agent connects to the bus at start; poll the bus's own peer list until it shows up.
    while (!peers.some((p) => p.unit === UNIT && p.pid === Number(MainPID)) && Date.now() < deadline) {
      peers = JSON.parse((await sb.exec(['busctl', '--system', '--json=short', 'list'])).stdout) as Peer[];
      await new Promise((r) => setTimeout(r, 100));
    }
    const journal = async () => (await sb.exec(['journalctl', '-u', UNIT, '--no-pager', '-n', '30'])).stdout;
    expect(peers.filter((p) => p.unit === UNIT).map((p) => p.pid), peers.length === 0 ? '' : await journal()).toContain(Number(MainPID));
  });

  it('changes nothing and does not restart the agent on a second run with the same flags', async () => {
    const before = await unitProperties(sb, UNIT, ['MainPID', 'NRestarts', 'ExecMainStartTimestampMonotonic']);
    const r = await install();
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lines(r)).toEqual([...FILES.map((f) => `unchanged: ${f}`), `unchanged: ${UNIT} enabled`, `unchanged: ${UNIT} running (not restarted)`]);
    expect(await unitProperties(sb, UNIT, ['MainPID', 'NRestarts', 'ExecMainStartTimestampMonotonic'])).toEqual(before);
    expect(before.NRestarts).toBe('0');
  });

  it('publishes offline when the unit is stopped', async () => {
    const from = bus.mark();
    await sb.exec(['systemctl', 'stop', UNIT]);
    const status = await bus.next(t.status(NODE), codecs.status, (s) => s.state !== 'online', 'status after stop', { from, timeoutMs: 15_000 });
    expect(status.state).toBe('offline');
    const { ActiveState, Result } = await unitProperties(sb, UNIT, ['ActiveState', 'Result']);
    expect({ ActiveState, Result }).toEqual({ ActiveState: 'inactive', Result: 'success' });
  });

  it('never printed the password', () => {
    expect(outputs.join('\n')).not.toContain(agent.password);
  });
});
