/**
 * The field rules Home Assistant's MQTT integration enforces on a device discovery message, as a
 * checker for tests (HA itself cannot run here): topic shape and id characters, required `device`
 * (identifiers), `origin` (name) and `components`; per component a known `platform`, a `unique_id`
 * (required with device discovery), `default_entity_id` as `<platform>.<object_id>` instead of the
 * deprecated `object_id`, the topics each platform needs (valid publish topics, no wildcards),
 * device classes and units each platform accepts, availability entries, and no unknown keys.
 * A component holding only `platform` is HA's way to delete it and is accepted as such.
 */
const ID = /^[a-zA-Z0-9_-]+$/;
const ENTITY_OBJECT_ID = /^[a-z0-9_]+$/;

const COMMON = new Set(['platform', 'unique_id', 'name', 'default_entity_id', 'availability', 'availability_mode', 'icon', 'entity_category', 'enabled_by_default', 'qos', 'json_attributes_topic', 'json_attributes_template', 'device_class']);
const KEYS: Record<string, Set<string>> = {
  sensor: new Set([...COMMON, 'state_topic', 'value_template', 'unit_of_measurement', 'state_class', 'suggested_display_precision', 'options', 'expire_after', 'force_update']),
  binary_sensor: new Set([...COMMON, 'state_topic', 'value_template', 'payload_on', 'payload_off', 'expire_after', 'force_update', 'off_delay']),
  button: new Set([...COMMON, 'command_topic', 'command_template', 'payload_press', 'retain']),
};
const BINARY_CLASSES = new Set(['battery', 'battery_charging', 'carbon_monoxide', 'cold', 'connectivity', 'door', 'garage_door', 'gas', 'heat', 'light', 'lock', 'moisture', 'motion', 'moving', 'occupancy', 'opening', 'plug', 'power', 'presence', 'problem', 'running', 'safety', 'smoke', 'sound', 'tamper', 'update', 'vibration', 'window']);
const BUTTON_CLASSES = new Set(['identify', 'restart', 'update']);
const SENSOR_UNITS: Record<string, Set<string>> = {
  duration: new Set(['d', 'h', 'min', 's', 'ms']),
  temperature: new Set(['°C', '°F', 'K']),
};
const SENSOR_CLASSES = new Set(['duration', 'temperature', 'enum', 'timestamp', 'data_size', 'power', 'energy', 'voltage', 'current', 'battery', 'humidity', 'frequency']);
const STATE_CLASSES = new Set(['measurement', 'total', 'total_increasing', 'measurement_angle']);
const ENTITY_CATEGORIES = new Set(['config', 'diagnostic']);

function publishTopic(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return 'must be a non-empty topic';
  if (/[+#\u0000]/.test(v)) return 'must not contain wildcards';
  return null;
}

export function discoveryProblems(topic: string, payload: unknown, prefix = 'homeassistant'): string[] {
  const p: string[] = [];
  const m = new RegExp(`^${prefix}/device/([^/]+)/config$`).exec(topic);
  if (m === null) p.push(`topic ${topic} is not ${prefix}/device/<id>/config`);
  else if (!ID.test(m[1]!)) p.push(`device id ${m[1]} has characters outside [a-zA-Z0-9_-]`);
  if (typeof payload !== 'object' || payload === null) return [...p, 'payload must be an object'];
  const d = payload as Record<string, unknown>;
  const dev = d['device'] as Record<string, unknown> | undefined;
  if (dev === undefined) p.push('device is required');
  else {
    const ids = dev['identifiers'];
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((x) => typeof x !== 'string' || x === '')) p.push('device.identifiers must be a non-empty list of strings');
  }
  const origin = d['origin'] as Record<string, unknown> | undefined;
  if (origin === undefined || typeof origin['name'] !== 'string' || origin['name'] === '') p.push('origin.name is required');
  const cmps = d['components'];
  if (typeof cmps !== 'object' || cmps === null || Object.keys(cmps).length === 0) return [...p, 'components is required and not empty'];
  const uniques = new Set<string>();
  for (const [key, raw] of Object.entries(cmps as Record<string, unknown>)) {
    const where = `components.${key}`;
    if (!ID.test(key)) p.push(`${where}: id has characters outside [a-zA-Z0-9_-]`);
    const c = raw as Record<string, unknown>;
    const platform = c['platform'];
    if (typeof platform !== 'string' || KEYS[platform] === undefined) {
      p.push(`${where}: platform ${String(platform)} is not supported`);
      continue;
    }
    if (Object.keys(c).length === 1) continue; // a deletion
    for (const k of Object.keys(c)) if (!KEYS[platform]!.has(k)) p.push(`${where}: unknown key ${k}${k === 'object_id' ? ' (deprecated: use default_entity_id)' : ''}`);
    const uid = c['unique_id'];
    if (typeof uid !== 'string' || uid === '') p.push(`${where}: unique_id is required with device discovery`);
    else if (uniques.has(uid)) p.push(`${where}: unique_id ${uid} used twice`);
    else uniques.add(uid);
    const dei = c['default_entity_id'];
    if (dei !== undefined) {
      const [domain, objectId, extra] = String(dei).split('.');
      if (domain !== platform || objectId === undefined || extra !== undefined || !ENTITY_OBJECT_ID.test(objectId)) p.push(`${where}: default_entity_id ${String(dei)} is not ${platform}.<[a-z0-9_]+>`);
    }
    const avail = c['availability'];
    if (avail !== undefined) {
      if (!Array.isArray(avail) || avail.length === 0) p.push(`${where}: availability must be a non-empty list`);
      else for (const a of avail as Record<string, unknown>[]) {
        const bad = publishTopic(a['topic']);
        if (bad) p.push(`${where}: availability topic ${bad}`);
        for (const k of Object.keys(a)) if (!['topic', 'value_template', 'payload_available', 'payload_not_available'].includes(k)) p.push(`${where}: availability has unknown key ${k}`);
      }
    }
    if (c['entity_category'] !== undefined && !ENTITY_CATEGORIES.has(String(c['entity_category']))) p.push(`${where}: entity_category ${String(c['entity_category'])}`);
    if (c['json_attributes_topic'] !== undefined && publishTopic(c['json_attributes_topic'])) p.push(`${where}: json_attributes_topic ${publishTopic(c['json_attributes_topic'])}`);
    if (c['qos'] !== undefined && ![0, 1, 2].includes(c['qos'] as number)) p.push(`${where}: qos must be 0, 1 or 2`);
    const dc = c['device_class'];
    if (platform === 'sensor' || platform === 'binary_sensor') {
      const bad = publishTopic(c['state_topic']);
      if (bad) p.push(`${where}: state_topic ${bad}`);
    }
    if (platform === 'sensor') {
      if (dc !== undefined && !SENSOR_CLASSES.has(String(dc))) p.push(`${where}: sensor device_class ${String(dc)}`);
      const unit = c['unit_of_measurement'];
      const allowed = SENSOR_UNITS[String(dc)];
      if (allowed !== undefined && !allowed.has(String(unit))) p.push(`${where}: unit ${String(unit)} is not valid for device_class ${String(dc)}`);
      if (c['state_class'] !== undefined && !STATE_CLASSES.has(String(c['state_class']))) p.push(`${where}: state_class ${String(c['state_class'])}`);
      if (dc === 'enum') {
        if (!Array.isArray(c['options']) || (c['options'] as unknown[]).length === 0) p.push(`${where}: an enum sensor needs options`);
        if (unit !== undefined || c['state_class'] !== undefined) p.push(`${where}: an enum sensor takes no unit or state_class`);
      } else if (c['options'] !== undefined) p.push(`${where}: options only with device_class enum`);
    }
    if (platform === 'binary_sensor' && dc !== undefined && !BINARY_CLASSES.has(String(dc))) p.push(`${where}: binary_sensor device_class ${String(dc)}`);
    if (platform === 'button') {
      const bad = publishTopic(c['command_topic']);
      if (bad) p.push(`${where}: command_topic ${bad}`);
      if (dc !== undefined && !BUTTON_CLASSES.has(String(dc))) p.push(`${where}: button device_class ${String(dc)}`);
      if (c['payload_press'] !== undefined && typeof c['payload_press'] !== 'string') p.push(`${where}: payload_press must be a string`);
    }
  }
  return p;
}
