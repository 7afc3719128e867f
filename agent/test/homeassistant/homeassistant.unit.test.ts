/** The discovery payload against Home Assistant's field rules, and the id rules of DESIGN.md section 2. */
import { describe, expect, it } from 'vitest';
import { codecs, createHaTopics, createTopics, fromHaObjectId, haObjectId, type Birth, type Metrics } from '@sitrep/schemas';
import { buildDiscovery } from '../../src/homeassistant/index.js';
import { discoveryProblems } from './ha-rules.js';

const t = createTopics();
const ha = createHaTopics();

const birth: Birth = {
  v: 1, node: 'web-1', session: 's1', ts: 1, agent: { version: '0.1.0', pid: 1 },
  host: { hostname: 'web-1', platform: 'linux', distro: 'Debian GNU/Linux', release: '12', kernel: '6.1.0', arch: 'x64', machineId: '0123456789abcdef0123456789abcdef', bootTime: 1, ips: [], mac: null },
  interval: 10,
  services: [
    { id: 'nginx.service', kind: 'systemd', expect: 'running', actions: ['restart', 'stop'] },
    { id: 'getty@tty1.service', kind: 'systemd', expect: 'running', actions: [] },
    { id: 'a.b', kind: 'process', expect: 'running', actions: ['kill'] },
    { id: 'a-b', kind: 'process', expect: 'running', actions: [] },
  ],
  checks: [{ id: 'backups', name: 'Backups', actions: ['run'] }, { id: 'tls_expiry', actions: [] }],
};
const metrics: Metrics = {
  v: 1, node: 'web-1', ts: 1, cpu: { percent: 1 }, memory: { total: 1, used: 1, available: 0, percent: 1 },
  disks: [{ mount: '/', fs: 'ext4', size: 1, used: 1, available: 0, percent: 1 }, { mount: '/srv/my data', fs: 'xfs', size: 1, used: 0, available: 1, percent: 0 }],
  load: [0, 0, 0], uptime: 5, temperatures: [{ sensor: 'coretemp Package id 0', celsius: 40 }],
  updates: { manager: 'apt', available: 3, security: 1, rebootRequired: false, checkedAt: 1 },
};
const input = { node: 'web-1', machineId: '0123456789abcdef0123456789abcdef', birth, metrics, topics: t, ha, version: '0.1.0' };

describe('Home Assistant device discovery payload', () => {
  it('passes the field rules HA enforces', () => {
    expect(codecs.birth.problem(birth)).toBeNull();
    expect(codecs.metrics.problem(metrics)).toBeNull();
    expect(discoveryProblems(ha.deviceConfig('web-1'), buildDiscovery(input, {}))).toEqual([]);
  });

  it('has the sensors, one running binary_sensor per service, one sensor per check, buttons for allowed actions only', () => {
    const c = buildDiscovery(input, {}).components as Record<string, Record<string, unknown>>;
    const keys = Object.keys(c);
    for (const k of ['cpu', 'memory', 'load1', 'load5', 'load15', 'uptime', 'updates', 'security_updates', `disk_${haObjectId('/')}`, `disk_${haObjectId('/srv/my data')}`, `temp_${haObjectId('coretemp Package id 0')}`]) {
      expect(keys, k).toContain(k);
    }
    const services = keys.filter((k) => k.startsWith('service_'));
    expect(services.map((k) => fromHaObjectId(k.slice('service_'.length))).sort()).toEqual(['a-b', 'a.b', 'getty@tty1.service', 'nginx.service']);
    for (const k of services) expect(c[k]).toMatchObject({ platform: 'binary_sensor', device_class: 'running' });
    expect(c[`check_${haObjectId('backups')}`]).toMatchObject({ platform: 'sensor', name: 'Backups', device_class: 'enum', value_template: '{{ value_json.status }}', state_topic: t.check('web-1', 'backups') });
    expect(String(c[`check_${haObjectId('backups')}`]!['json_attributes_template'])).toMatch(/"message": value_json\.message, "duration_ms": value_json\.durationMs/);
    const buttons = keys.filter((k) => c[k]!.platform === 'button').sort();
    expect(buttons).toEqual([`restart_${haObjectId('nginx.service')}`, `run_${haObjectId('backups')}`, `stop_${haObjectId('nginx.service')}`].sort());
    expect(c[`restart_${haObjectId('nginx.service')}`]).toMatchObject({ command_topic: t.cmd('web-1'), device_class: 'restart' });
    const press = JSON.parse(String(c[`restart_${haObjectId('nginx.service')}`]!['payload_press'])) as unknown;
    expect(codecs.command.problem(press)).toBeNull();
    expect(press).toMatchObject({ action: 'restart', target: 'nginx.service', by: 'homeassistant' });
  });

  it('keeps ids stable, from the machine id, collision-free, and availability from the status topic', () => {
    const a = buildDiscovery(input, {});
    const b = buildDiscovery({ ...input, birth: { ...birth, session: 's2', ts: 99 } }, {});
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.device['identifiers']).toEqual(['sitrep_0123456789abcdef0123456789abcdef']);
    expect(a.origin).toEqual({ name: 'sitrep', sw_version: '0.1.0' });
    for (const [k, c] of Object.entries(a.components)) {
      expect((c as { unique_id: string }).unique_id).toBe(`sitrep_0123456789abcdef0123456789abcdef_${k}`);
      expect(c).not.toHaveProperty('object_id');
      expect((c as unknown as { availability: { topic: string }[] }).availability[0]!.topic).toBe(t.status('web-1'));
    }
    expect(haObjectId('a.b')).not.toBe(haObjectId('a-b'));
    for (const id of ['a.b', 'a-b', 'a_b', 'getty@tty1.service', 'x:y', 'été']) expect(fromHaObjectId(haObjectId(id))).toBe(id);
  });

  it('lists a removed component with its platform only, which HA takes as "delete it"', () => {
    const p = buildDiscovery(input, { service_gone: 'binary_sensor' });
    expect(p.components['service_gone']).toEqual({ platform: 'binary_sensor' });
    expect(discoveryProblems(ha.deviceConfig('web-1'), p)).toEqual([]);
  });

  it('the checker itself refuses what HA refuses', () => {
    const bad = buildDiscovery(input, {}) as unknown as { components: Record<string, Record<string, unknown>>; origin?: unknown };
    bad.components['cpu']!['object_id'] = 'x';
    delete bad.components['memory']!['unique_id'];
    bad.components['bad.key'] = { platform: 'sensor', unique_id: 'u', name: 'n', state_topic: 'a/+' };
    delete bad.origin;
    const problems = discoveryProblems('homeassistant/device/bad.id/config', bad);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/device id bad\.id/),
      expect.stringMatching(/origin\.name is required/),
      expect.stringMatching(/components\.cpu: unknown key object_id \(deprecated/),
      expect.stringMatching(/components\.memory: unique_id is required/),
      expect.stringMatching(/components\.bad\.key: id has characters/),
      expect.stringMatching(/components\.bad\.key: state_topic must not contain wildcards/),
    ]));
  });
});
