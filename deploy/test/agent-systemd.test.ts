/**
 * The agent's systemd features against a real systemd (Debian 12 in a sandbox): a unit killed
 * with SIGKILL is reported failed and then running again, both transitions as events in order
 * with their evidence; start/stop/restart commands work and are refused when not allowed; journal
 * lines arrive; the systemctl-show fallback sees the same. The agent is the built artifact, run as
 * a transient unit inside the sandbox, talking to a broker on the host.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '@sitrep/broker/testing';
import { codecs, createTopics, type AgentEvent, type CommandResult } from '@sitrep/schemas';
import { AGENT_ARTIFACT, agentNodeFlags, agentRunOptions, buildAgent, sandboxUnavailable, startSandbox, unitProperties, waitForUnit, type Sandbox } from '../src/index.js';
import { recordMessages, type Recorder } from './support/messages.js';

const unavailable = sandboxUnavailable();
if (unavailable !== null) console.warn(`SKIPPING deploy/test/agent-systemd.test.ts: ${unavailable}`);

const t = createTopics();
const UNITS: Record<string, string> = {
  'crashy.service': '[Service]\nExecStart=/bin/sleep infinity\nRestart=always\nRestartSec=1\n',
  // Restarted at once: dead and back within the watcher's 25 ms debounce window.
  'instant.service': '[Service]\nExecStart=/bin/sleep infinity\nRestart=always\nRestartSec=0\n',
  'ctl.service': '[Service]\nExecStart=/bin/sleep infinity\n',
  'locked.service': '[Service]\nExecStart=/bin/sleep infinity\n',
  'chatty.service': "[Service]\nExecStart=/bin/sh -c 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done'\n",
};

function agentConfig(node: string, url: string, password: string, useDbus: boolean): string {
  return [
    `node: ${node}`,
    `broker: { url: "${url}", username: agent-${node}, password: "${password}" }`,
    'interval: 5s',
    `stateDir: /var/lib/${node}`,
    `systemd: { useDbus: ${useDbus}, pollInterval: 500ms }`,
    'updates: { enabled: false }',
    'services:',
    '  - { unit: crashy.service }',
    '  - { unit: instant.service }',
    '  - { unit: ctl.service, actions: [start, stop, restart] }',
    '  - { unit: locked.service }',
    '  - { unit: chatty.service, expect: any }',
    '  - { unit: absent.service, expect: any }',
    '',
  ].join('\n');
}

const transitionsOf = (bus: Recorder, node: string, unit: string, from: number) =>
  bus.messages
    .slice(from)
    .filter((m) => m.topic === t.events(node))
    .map((m) => codecs.event.decode(m.payload))
    .flatMap((d) => (d.ok && d.value.type === 'ServiceStateChanged' && d.value.data.service === unit ? [d.value] : []));

describe.skipIf(unavailable !== null)('agent and systemd, for real', () => {
  let tb: TestBroker;
  let sb: Sandbox;
  let operator: MqttClient;
  let bus: Recorder;

  async function runAgent(node: string, useDbus: boolean): Promise<void> {
    const creds = await tb.identity('agent', `agent-${node}`, node);
    await sb.writeFile(`/etc/${node}.yaml`, agentConfig(node, tb.tcpUrl, creds.password, useDbus), 0o600);
    // The node options and environment of the shipped unit: the agent must behave the same under them.
    await sb.exec(['systemd-run', `--unit=${node}`, '--collect', ...agentRunOptions(), '/usr/local/bin/node', ...agentNodeFlags(), AGENT_ARTIFACT, '--config', `/etc/${node}.yaml`]);
    await bus.next(t.status(node), codecs.status, (s) => s.state === 'online', `${node} online`);
  }

  async function command(node: string, id: string, action: string, target: string): Promise<CommandResult> {
    const from = bus.mark();
    await operator.publishAsync(t.cmd(node), JSON.stringify({ id, action, target, by: 'test' }), { qos: 1 });
    return bus.next(t.cmdResult(node), codecs.commandResult, (r) => r.id === id, `result of ${id}`, { from });
  }

  async function killMain(unit: string): Promise<string> {
    const { MainPID } = await unitProperties(sb, unit, ['MainPID']);
    await sb.exec(['kill', '-9', MainPID]);
    return MainPID;
  }

  beforeAll(async () => {
    await buildAgent();
    tb = await startTestBroker();
    sb = await startSandbox();
    for (const [unit, body] of Object.entries(UNITS)) await sb.writeFile(`/etc/systemd/system/${unit}`, body);
    await sb.exec(['systemctl', 'daemon-reload']);
    await sb.exec(['systemctl', 'start', 'crashy.service', 'instant.service', 'ctl.service', 'locked.service', 'chatty.service']);
    operator = await tb.connect(await tb.identity('operator', 'op'));
    bus = await recordMessages(operator, t.filter.all());
    await runAgent('sd-dbus', true);
  });

  afterAll(async () => {
    await sb?.stop();
    await tb?.close();
  });

  it('reports every watched unit, and a missing unit as missing rather than an error', async () => {
    const crashy = await bus.next(t.service('sd-dbus', 'crashy.service'), codecs.serviceState, (s) => s.state === 'running', 'crashy running');
    expect(crashy).toMatchObject({ kind: 'systemd', exists: true, activeState: 'active', subState: 'running', expect: 'running' });
    expect(crashy.pid).toBeGreaterThan(1);
    const absent = await bus.next(t.service('sd-dbus', 'absent.service'), codecs.serviceState, () => true, 'absent state');
    expect(absent).toMatchObject({ exists: false, state: 'unknown' });
    const birth = await bus.next(t.birth('sd-dbus'), codecs.birth, () => true, 'birth');
    expect(birth.services.find((s) => s.id === 'ctl.service')).toEqual({ id: 'ctl.service', kind: 'systemd', expect: 'running', actions: ['start', 'stop', 'restart'] });
  });

  it('reports a SIGKILLed unit failed and then running again, both transitions in order with evidence', async () => {
    const from = bus.mark();
    const killedPid = await killMain('crashy.service');
    const recovered = await bus.next(t.events('sd-dbus'), codecs.event, (e) => e.type === 'ServiceStateChanged' && e.data.service === 'crashy.service' && e.data.to === 'running', 'crashy back to running', { from });
    const transitions = transitionsOf(bus, 'sd-dbus', 'crashy.service', from);
    expect(transitions.map((e) => [e.data.from, e.data.to])).toEqual([['running', 'failed'], ['failed', 'running']]);
    const [down] = transitions as Extract<AgentEvent, { type: 'ServiceStateChanged' }>[];
    expect(down!.data).toMatchObject({ result: 'signal', signal: 'SIGKILL', exitCode: null });
    expect(down!.data.lastLines?.join('\n')).toMatch(/code=killed, status=9\/KILL/);
    expect(recovered.seq).toBe(down!.seq + 1);
    const now = await bus.next(t.service('sd-dbus', 'crashy.service'), codecs.serviceState, (s) => s.state === 'running' && s.pid !== Number(killedPid), 'new pid', { from });
    expect(now.restarts).toBeGreaterThanOrEqual(1);
  });

  it('reports a unit killed and restarted at once (RestartSec=0) as failed and running again', async () => {
    await bus.next(t.service('sd-dbus', 'instant.service'), codecs.serviceState, (s) => s.state === 'running', 'instant running');
    const from = bus.mark();
    const killedPid = await killMain('instant.service');
    await bus.next(t.events('sd-dbus'), codecs.event, (e) => e.type === 'ServiceStateChanged' && e.data.service === 'instant.service' && e.data.to === 'running', 'instant back to running', { from });
    const transitions = transitionsOf(bus, 'sd-dbus', 'instant.service', from) as Extract<AgentEvent, { type: 'ServiceStateChanged' }>[];
    expect(transitions.map((e) => [e.data.from, e.data.to])).toEqual([['running', 'failed'], ['failed', 'running']]);
    // Evidence when the signals of the dead moment were seen; systemd may already have reset it.
    if (transitions[0]!.data.signal !== null) expect(transitions[0]!.data).toMatchObject({ result: 'signal', signal: 'SIGKILL' });
    const now = await bus.next(t.service('sd-dbus', 'instant.service'), codecs.serviceState, (s) => s.state === 'running' && s.pid !== Number(killedPid), 'instant new pid', { from });
    expect(now.restarts).toBeGreaterThanOrEqual(1);
  });

  it('stops, starts and restarts an allowed unit on command, and refuses the rest', async () => {
    const stop = await command('sd-dbus', 'c-stop', 'stop', 'ctl.service');
    expect(stop.outcome).toBe('ok');
    await waitForUnit(sb, 'ctl.service', ['ActiveState'], (p) => p.ActiveState === 'inactive', 'stopped');
    await bus.next(t.service('sd-dbus', 'ctl.service'), codecs.serviceState, (s) => s.state === 'stopped', 'ctl stopped');

    const before = await unitProperties(sb, 'ctl.service', ['MainPID']);
    expect((await command('sd-dbus', 'c-start', 'start', 'ctl.service')).outcome).toBe('ok');
    const started = await waitForUnit(sb, 'ctl.service', ['MainPID'], (p) => p.MainPID !== '0' && p.MainPID !== before.MainPID, 'started');
    expect((await command('sd-dbus', 'c-restart', 'restart', 'ctl.service')).outcome).toBe('ok');
    await waitForUnit(sb, 'ctl.service', ['MainPID'], (p) => p.MainPID !== '0' && p.MainPID !== started.MainPID, 'restarted');

    const refused = await command('sd-dbus', 'c-locked', 'stop', 'locked.service');
    expect(refused).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/not allowed/) });
    const notWatched = await command('sd-dbus', 'c-ssh', 'stop', 'systemd-journald.service');
    expect(notWatched).toMatchObject({ outcome: 'refused', message: expect.stringMatching(/not a service this agent watches/) });
    expect((await unitProperties(sb, 'locked.service', ['ActiveState'])).ActiveState).toBe('active');
    const audit = bus.messages
      .map((m) => (m.topic === t.events('sd-dbus') ? codecs.event.decode(m.payload) : null))
      .flatMap((d) => (d?.ok && d.value.type === 'CommandCompleted' ? [`${d.value.data.id}:${d.value.data.outcome}`] : []));
    expect(audit).toEqual(expect.arrayContaining(['c-stop:ok', 'c-start:ok', 'c-restart:ok', 'c-locked:refused', 'c-ssh:refused']));
  });

  it('forwards the journal lines of a unit in batches', async () => {
    const batch = await bus.next(t.logs('sd-dbus', 'chatty.service'), codecs.logBatch, (b) => b.lines.some((l) => /^tick \d+$/.test(l.text)), 'chatty lines');
    expect(batch.source).toBe('chatty.service');
    expect(batch.lines.every((l) => l.stream === 'journal' && l.ts > 0)).toBe(true);
  });

  it('sees the same through the systemctl-show fallback when D-Bus is off', async () => {
    await runAgent('sd-poll', false);
    await bus.next(t.service('sd-poll', 'crashy.service'), codecs.serviceState, (s) => s.state === 'running', 'crashy running (poll)');
    const from = bus.mark();
    await killMain('crashy.service');
    await bus.next(t.events('sd-poll'), codecs.event, (e) => e.type === 'ServiceStateChanged' && e.data.service === 'crashy.service' && e.data.to === 'running', 'crashy recovered (poll)', { from });
    expect(transitionsOf(bus, 'sd-poll', 'crashy.service', from).map((e) => [e.data.from, e.data.to])).toEqual([['running', 'failed'], ['failed', 'running']]);
  });
});
