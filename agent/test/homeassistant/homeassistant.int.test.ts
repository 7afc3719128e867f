/**
 * Home Assistant discovery over a real broker: a real agent announces its device (validated
 * against HA's field rules), a button press goes through the agent's allow-list, the agent answers
 * HA's `online` after a random delay, removed services leave HA, and switching discovery off
 * removes the device. Home Assistant itself cannot run here: an MQTT client with an operator
 * identity plays its part (the topics and payloads HA uses are fixed by its documentation).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { codecs, createHaTopics, createTopics, haObjectId, memoryLogger, type Birth } from '@sitrep/schemas';
import { nextMessage, startTestBroker, type TestBroker } from '@sitrep/broker/testing';
import { resolveAgentConfig, startAgent, type RunningAgent } from '../../src/index.js';
import { startHomeAssistant, type HomeAssistant } from '../../src/homeassistant/index.js';
import { discoveryProblems } from './ha-rules.js';

const t = createTopics();
const ha = createHaTopics();
let tb: TestBroker;
const stops: (() => Promise<void> | void)[] = [];

beforeEach(async () => {
  tb = await startTestBroker();
});
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
  await tb.close();
});

const state = () => mkdtempSync(join(tmpdir(), 'sitrep-ha-'));
const json = (b: Buffer) => JSON.parse(b.toString('utf8')) as { components: Record<string, Record<string, unknown>> };

async function agentWithHa(node: string) {
  const creds = await tb.identity('agent', `agent-${node}`, node);
  const config = resolveAgentConfig(
    {
      node,
      broker: { url: tb.tcpUrl, ...creds },
      interval: 3600,
      stateDir: state(),
      updates: { enabled: false },
      homeassistant: { enabled: true },
      processes: [{ id: 'web.app', command: ['sleep', '300'], actions: ['restart'] }],
      probes: [{ id: 'local-true', schedule: '1h', probe: { type: 'command', argv: ['true'] }, actions: ['run'] }],
    },
    'test',
  );
  const a = await startAgent({ config, log: memoryLogger('agent') });
  stops.push(() => a.stop());
  return a;
}

describe('Home Assistant discovery from a real agent', () => {
  it('announces one retained device config that passes HA field rules, with entities for its services, checks and actions', async () => {
    const hass = await tb.connect(await tb.identity('operator', 'hass'));
    const a = await agentWithHa('web-1');
    const first = await nextMessage(hass, ha.deviceConfig('web-1'), (_t, p) => p.includes('local-true'), 10_000);
    expect(first.topic).toBe('homeassistant/device/sitrep_web-1/config');
    const late = await tb.connect(await tb.identity('integration', 'late'));
    const retained = await nextMessage(late, `${ha.prefix}/device/+/config`);
    expect(retained.retain).toBe(true);
    const payload = json(retained.payload);
    expect(discoveryProblems(retained.topic, payload)).toEqual([]);
    const keys = Object.keys(payload.components);
    expect(keys).toEqual(expect.arrayContaining(['cpu', 'memory', 'load1', 'uptime', `service_${haObjectId('web.app')}`, `check_${haObjectId('local-true')}`, `restart_${haObjectId('web.app')}`, `run_${haObjectId('local-true')}`]));
    expect(keys.some((k) => k.startsWith('disk_'))).toBe(true);
    // unique ids come from the machine id the agent read, never from an address
    const birth = codecs.birth.decode((await nextMessage(hass, t.birth('web-1'))).payload);
    expect(birth.ok).toBe(true);
    const machine = birth.ok ? (birth.value.host.machineId ?? `node-web-1`) : '';
    expect(payload.components['cpu']!['unique_id']).toBe(`sitrep_${machine.replace(/[^a-zA-Z0-9_-]/g, '')}_cpu`);
    expect(a.node).toBe('web-1');
  }, 30_000);

  it('a button press is an ordinary command: executed when allowed, refused when forged for an action the config does not allow', async () => {
    const hass = await tb.connect(await tb.identity('operator', 'hass'));
    await agentWithHa('web-1');
    const cfg = json((await nextMessage(hass, ha.deviceConfig('web-1'), (_t, p) => p.includes('web.app'), 10_000)).payload);
    const button = cfg.components[`restart_${haObjectId('web.app')}`]!;
    const result = nextMessage(hass, t.cmdResult('web-1'), (_t, p) => p.includes('"restart"'), 10_000);
    await hass.publishAsync(String(button['command_topic']), String(button['payload_press']), { qos: 1 });
    const r = codecs.commandResult.decode((await result).payload);
    expect(r.ok && r.value).toMatchObject({ action: 'restart', target: 'web.app', outcome: 'ok' });
    // The same fixed payload shape for an action the config does not allow: the allow-list refuses it.
    const refused = nextMessage(hass, t.cmdResult('web-1'), (_t, p) => p.includes('"stop"'), 10_000);
    await hass.publishAsync(String(button['command_topic']), String(button['payload_press']).replace('"restart"', '"stop"').replace('ha-restart', 'ha-stop'), { qos: 1 });
    const s = codecs.commandResult.decode((await refused).payload);
    expect(s.ok && s.value).toMatchObject({ action: 'stop', outcome: 'refused' });
    expect(s.ok && s.value.message).toMatch(/not allowed by this agent's config/);
  }, 30_000);

  it('the broker lets an agent announce only its own device', async () => {
    const watcher = await tb.connect(await tb.identity('viewer', 'v'));
    await watcher.subscribeAsync(`${ha.prefix}/#`, { qos: 1 });
    const seen: string[] = [];
    watcher.on('message', (topic) => seen.push(topic));
    const creds = await tb.identity('agent', 'agent-db-1', 'db-1');
    const forger = await tb.connect(creds);
    const closed = new Promise<void>((resolve) => forger.once('close', () => resolve()));
    forger.publish(ha.deviceConfig('web-1'), '{}', { qos: 1, retain: true });
    await closed; // aedes drops a client whose publish is denied
    expect(tb.log.lines.some((l) => l.includes('publish denied') && l.includes('sitrep_web-1'))).toBe(true);
    const own = await tb.connect(creds);
    await own.publishAsync(ha.deviceConfig('db-1'), '{"x":1}', { qos: 1, retain: true });
    await nextMessage(watcher, ha.deviceConfig('db-1'));
    expect(seen).not.toContain(ha.deviceConfig('web-1'));
  }, 30_000);
});

describe('Home Assistant restarts, removed entities, switching off', () => {
  function birthWith(services: string[]): Birth {
    return {
      v: 1, node: 'n1', session: 's', ts: 1, agent: { version: 'x', pid: 1 },
      host: { hostname: 'n1', platform: 'linux', distro: 'Debian', release: '12', kernel: '6', arch: 'x64', machineId: 'feedfacefeedfacefeedfacefeedface', bootTime: null, ips: [], mac: null },
      interval: 10, services: services.map((id) => ({ id, kind: 'process' as const, expect: 'running' as const, actions: [] })), checks: [],
    };
  }

  async function module(stateDir: string, enabled: boolean, services: { list: string[] }, republished: { count: number }): Promise<{ ha: HomeAssistant; client: MqttClient }> {
    const creds = tb.identities.get('agent-n1') === undefined ? await tb.identity('agent', 'agent-n1', 'n1') : creds1!;
    creds1 = creds;
    const client = await tb.connect(creds);
    const h = startHomeAssistant({
      client, config: { enabled, prefix: 'homeassistant' }, node: 'n1', topics: t, stateDir, machineId: 'feedfacefeedfacefeedfacefeedface', version: 'x',
      inventory: () => birthWith(services.list), republishState: async () => void republished.count++, log: memoryLogger('ha'),
      answerDelayMs: { min: 20, max: 200 },
    });
    stops.push(() => h.stop());
    return { ha: h, client };
  }
  let creds1: { username: string; password: string } | undefined;

  it('answers homeassistant/status `online` with discovery and state again, after a delay; ignores `offline`', async () => {
    creds1 = undefined;
    const hass = await tb.connect(await tb.identity('operator', 'hass'));
    const got: { retain: boolean; payload: Buffer }[] = [];
    hass.on('message', (topic, payload, packet) => topic === ha.deviceConfig('n1') && got.push({ retain: packet.retain, payload }));
    await hass.subscribeAsync(ha.deviceConfig('n1'), { qos: 1 });
    const republished = { count: 0 };
    await module(state(), true, { list: ['a'] }, republished);
    const until = async (what: string, ok: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!ok()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await until('the first announcement', () => got.length === 1);
    await hass.publishAsync(ha.status(), 'offline', { qos: 1, retain: true });
    await hass.publishAsync(ha.status(), 'online', { qos: 1, retain: true });
    await until('the answer to online', () => got.length === 2 && republished.count === 1);
    const answer = got[1]!;
    expect(answer.retain).toBe(false); // a live delivery to a subscriber: published anew
    expect(discoveryProblems(ha.deviceConfig('n1'), json(answer.payload))).toEqual([]);
    expect(republished.count).toBe(1); // `offline` triggered nothing
  }, 30_000);

  it('removes the entity of a service that left the config (platform-only tombstone), even across a restart, and the device when switched off', async () => {
    creds1 = undefined;
    const hass = await tb.connect(await tb.identity('operator', 'hass'));
    const dir = state();
    const services = { list: ['keep.me', 'go.away'] };
    const n = { count: 0 };
    const first = nextMessage(hass, ha.deviceConfig('n1'), (_t, p) => p.includes(haObjectId('go.away')), 10_000);
    const m = await module(dir, true, services, n);
    expect(json((await first).payload).components[`service_${haObjectId('go.away')}`]).toMatchObject({ platform: 'binary_sensor', device_class: 'running' });

    services.list = ['keep.me'];
    const tomb = nextMessage(hass, ha.deviceConfig('n1'), (_t, p) => !p.includes('"device_class":"running","json_attributes_topic":"sitrep/v1/nodes/n1/services/go.away"') && p.includes(haObjectId('go.away')), 10_000);
    m.ha.refresh();
    const removed = json((await tomb).payload);
    expect(removed.components[`service_${haObjectId('go.away')}`]).toEqual({ platform: 'binary_sensor' });
    expect(removed.components[`service_${haObjectId('keep.me')}`]).toMatchObject({ platform: 'binary_sensor' });
    expect(discoveryProblems(ha.deviceConfig('n1'), removed)).toEqual([]);

    // An agent restart keeps the tombstone (Home Assistant may have missed it).
    m.ha.stop();
    await m.client.endAsync();
    const restarted = nextMessage(hass, ha.deviceConfig('n1'), (_t, p) => p.includes(haObjectId('go.away')), 10_000);
    const m2 = await module(dir, true, services, n);
    expect(json((await restarted).payload).components[`service_${haObjectId('go.away')}`]).toEqual({ platform: 'binary_sensor' });

    // Discovery switched off: the device goes, with an empty retained payload.
    m2.ha.stop();
    await m2.client.endAsync();
    const gone = nextMessage(hass, ha.deviceConfig('n1'), (_t, p) => p.length === 0, 10_000);
    await module(dir, false, services, n);
    expect((await gone).payload.length).toBe(0);
    const late = await tb.connect(await tb.identity('viewer', 'late'));
    const none = await nextMessage(late, ha.deviceConfig('n1'), () => true, 500).catch(() => null);
    expect(none).toBeNull(); // nothing retained any more
  }, 30_000);
});
