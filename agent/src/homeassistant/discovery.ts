/**
 * The Home Assistant device discovery payload of one node (`{prefix}/device/sitrep_{node}/config`),
 * built from the node's birth and the shape of its latest metrics. Pure: same input, same JSON.
 *
 * Entities read sitrep's own retained topics (no second copy of the state): sensors from
 * `metrics`, one `binary_sensor` (device class running) per service from `services/{id}`, one
 * `sensor` per check from `checks/{id}` (status as state; message and duration as attributes), and
 * `button`s that publish a fixed command on the node's `cmd` topic, which the agent checks against
 * its own allow-list like any other command. Availability follows the node's `status` topic.
 */
import { haObjectId, type Birth, type HaTopics, type Metrics, type Topics } from '@sitrep/schemas';

export type Platform = 'sensor' | 'binary_sensor' | 'button';

/** One entry of `components`; `platform` and `unique_id` always present (HA requires both here). */
export type Component = { platform: Platform; unique_id: string; name: string; default_entity_id: string } & Record<string, unknown>;

export interface DiscoveryInput {
  node: string;
  /** /etc/machine-id, the root of every unique_id (DESIGN.md section 2). */
  machineId: string;
  birth: Birth;
  /** Only the shape matters: which disks, temperature sensors and update counts exist. */
  metrics: Metrics | undefined;
  topics: Topics;
  ha: HaTopics;
  version: string;
}

export interface DiscoveryPayload {
  device: Record<string, unknown>;
  origin: { name: string; sw_version: string };
  components: Record<string, Component | { platform: Platform }>;
  qos: 1;
}

const BUTTON_ACTIONS = ['restart', 'start', 'stop'] as const;

/** Entity ids are lowercase `[a-z0-9_]`: a default only, HA adds a suffix on a clash. */
const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
/** A string literal for a Jinja template (JSON's escaping is valid Jinja). */
const jinja = (s: string) => JSON.stringify(s);

export function buildComponents(i: DiscoveryInput): Record<string, Component> {
  const { node, topics: t } = i;
  const availability = [{ topic: t.status(node), value_template: "{{ 'online' if value_json.state == 'online' else 'offline' }}", payload_available: 'online', payload_not_available: 'offline' }];
  const out: Record<string, Component> = {};
  const add = (key: string, platform: Platform, name: string, rest: Record<string, unknown>) => {
    out[key] = { platform, unique_id: `sitrep_${i.machineId}_${key}`, name, default_entity_id: `${platform}.sitrep_${slug(node)}_${slug(key)}`, availability, ...rest };
  };
  const metrics = t.metrics(node);
  const gauge = (key: string, name: string, template: string, extra: Record<string, unknown> = {}) =>
    add(key, 'sensor', name, { state_topic: metrics, value_template: template, state_class: 'measurement', ...extra });

  gauge('cpu', 'CPU', '{{ value_json.cpu.percent }}', { unit_of_measurement: '%', icon: 'mdi:cpu-64-bit', suggested_display_precision: 1 });
  gauge('memory', 'Memory', '{{ value_json.memory.percent }}', { unit_of_measurement: '%', icon: 'mdi:memory', suggested_display_precision: 1 });
  ['1', '5', '15'].forEach((w, idx) => gauge(`load${w}`, `Load (${w} min)`, `{{ value_json.load[${idx}] }}`, { icon: 'mdi:gauge', suggested_display_precision: 2 }));
  add('uptime', 'sensor', 'Uptime', { state_topic: metrics, value_template: '{{ value_json.uptime | round(0) }}', device_class: 'duration', unit_of_measurement: 's', entity_category: 'diagnostic' });
  for (const d of i.metrics?.disks ?? []) {
    gauge(`disk_${haObjectId(d.mount)}`, `Disk ${d.mount}`, `{% set d = value_json.disks | selectattr('mount', 'equalto', ${jinja(d.mount)}) | list %}{{ d[0].percent if d else None }}`, { unit_of_measurement: '%', icon: 'mdi:harddisk', suggested_display_precision: 1 });
  }
  for (const s of i.metrics?.temperatures ?? []) {
    gauge(`temp_${haObjectId(s.sensor)}`, `Temperature ${s.sensor}`, `{% set s = (value_json.temperatures or []) | selectattr('sensor', 'equalto', ${jinja(s.sensor)}) | list %}{{ s[0].celsius if s else None }}`, { device_class: 'temperature', unit_of_measurement: '°C' });
  }
  if (i.metrics?.updates) {
    gauge('updates', 'Updates available', '{{ value_json.updates.available if value_json.updates else None }}', { icon: 'mdi:package-up', state_class: 'measurement' });
    gauge('security_updates', 'Security updates available', '{{ value_json.updates.security if value_json.updates else None }}', { icon: 'mdi:shield-alert' });
  }
  for (const svc of i.birth.services) {
    const oid = haObjectId(svc.id);
    const topic = t.service(node, svc.id);
    add(`service_${oid}`, 'binary_sensor', svc.id, {
      state_topic: topic,
      value_template: "{{ 'ON' if value_json.state == 'running' else 'OFF' }}",
      payload_on: 'ON',
      payload_off: 'OFF',
      device_class: 'running',
      json_attributes_topic: topic,
      json_attributes_template: '{{ {"state": value_json.state, "expect": value_json.expect, "since": value_json.since, "pid": value_json.pid, "restarts": value_json.restarts, "kind": value_json.kind} | tojson }}',
    });
    for (const action of BUTTON_ACTIONS) {
      if (!svc.actions.includes(action)) continue;
      add(`${action}_${oid}`, 'button', `${action[0]?.toUpperCase()}${action.slice(1)} ${svc.id}`, buttonFields(t, node, action, svc.id));
    }
  }
  for (const c of i.birth.checks) {
    const oid = haObjectId(c.id);
    const topic = t.check(node, c.id);
    add(`check_${oid}`, 'sensor', c.name ?? c.id, {
      state_topic: topic,
      value_template: '{{ value_json.status }}',
      device_class: 'enum',
      options: ['OK', 'UPDATE', 'WARNING', 'FAILURE', 'ERROR'],
      json_attributes_topic: topic,
      json_attributes_template: '{{ {"message": value_json.message, "duration_ms": value_json.durationMs, "ts": value_json.ts} | tojson }}',
    });
    if (c.actions.includes('run')) add(`run_${oid}`, 'button', `Run ${c.name ?? c.id}`, buttonFields(t, node, 'run', c.id));
  }
  return out;
}

/** A button publishes one fixed, valid command (DESIGN.md section 5: "accept it too"). */
function buttonFields(t: Topics, node: string, action: string, target: string): Record<string, unknown> {
  const payload = { id: `ha-${action}-${haObjectId(target)}`.slice(0, 64), action, target, by: 'homeassistant' };
  return { command_topic: t.cmd(node), payload_press: JSON.stringify(payload), qos: 1, retain: false, ...(action === 'restart' ? { device_class: 'restart' } : {}) };
}

/** The full payload; `removed` components appear with only their platform, HA's rule for deleting one. */
export function buildDiscovery(i: DiscoveryInput, removed: Record<string, Platform>): DiscoveryPayload {
  const h = i.birth.host;
  const components: DiscoveryPayload['components'] = {};
  for (const [key, platform] of Object.entries(removed)) components[key] = { platform };
  Object.assign(components, buildComponents(i));
  return {
    device: {
      identifiers: [`sitrep_${i.machineId}`],
      name: i.node,
      manufacturer: 'sitrep',
      model: `${h.distro}${h.release === '' ? '' : ` ${h.release}`}`.trim() || h.platform,
      sw_version: h.kernel,
      hw_version: h.arch,
    },
    origin: { name: 'sitrep', sw_version: i.version },
    components,
    qos: 1,
  };
}
