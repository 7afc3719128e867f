/**
 * Home Assistant MQTT discovery at run time: announce the device on every connect, again when the
 * inventory or the metrics' shape changes, and again (with the state) when Home Assistant says
 * `online` on `{prefix}/status`, after a random delay so a fleet does not answer all at once.
 * Components that left the config are deleted the way HA documents for device discovery: listed
 * with only their `platform`; that tombstone stays in the retained payload for a day, so a Home
 * Assistant that was down at the time still sees it. Switched off, a device announced before is
 * removed with an empty retained payload on its config topic.
 */
import type { MqttClient } from 'mqtt';
import { createHaTopics, type Birth, type Logger, type Metrics, type Topics } from '@sitrep/schemas';
import { buildDiscovery, type Platform } from './discovery.js';
import { forgetPublished, readPublished, writePublished, type Published, type Removed } from './published.js';

export interface HomeAssistantOptions {
  client: MqttClient;
  config: { enabled: boolean; prefix: string };
  node: string;
  topics: Topics;
  stateDir: string;
  machineId: string | null;
  version: string;
  /** The node's current birth: services, checks and the actions each allows. */
  inventory: () => Birth;
  /** Publish the node's retained state again (status, birth, services, metrics). */
  republishState: () => Promise<void>;
  log: Logger;
  /** Delay range before answering HA's `online`, ms (default 1-10 s). */
  answerDelayMs?: { min: number; max: number };
  random?: () => number;
  now?: () => number;
}

export interface HomeAssistant {
  /** Latest metrics: their disks, sensors and update counts are entities. */
  onMetrics(m: Metrics): void;
  /** Re-announce if anything an entity depends on changed. */
  refresh(): void;
  stop(): void;
}

const RETAINED = { qos: 1, retain: true } as const;
/** How long a deleted component stays in the payload as a platform-only tombstone. */
const TOMBSTONE_MS = 86_400_000;

export function startHomeAssistant(o: HomeAssistantOptions): HomeAssistant {
  const { client, log } = o;
  const ha = createHaTopics(o.config.prefix);
  const configTopic = ha.deviceConfig(o.node);
  const previous = readPublished(o.stateDir);

  if (!o.config.enabled) {
    // Switched off after having been on: take the device out of Home Assistant once.
    if (previous !== null) {
      const remove = () =>
        client.publish(previous.deviceTopic, '', RETAINED, (err) => {
          if (err) return log.warn('could not remove the Home Assistant device', { topic: previous.deviceTopic, error: err.message });
          forgetPublished(o.stateDir);
          log.info('Home Assistant discovery off: device removed', { topic: previous.deviceTopic });
        });
      if (client.connected) remove();
      else client.once('connect', remove);
    }
    return { onMetrics: () => undefined, refresh: () => undefined, stop: () => undefined };
  }

  if (o.machineId === null) log.warn('no /etc/machine-id: Home Assistant unique ids fall back to the node id');
  const machineId = (o.machineId ?? `node-${o.node}`).replace(/[^a-zA-Z0-9_-]/g, '');
  let metrics: Metrics | undefined;
  const same = previous?.deviceTopic === configTopic;
  let published: Published = same ? previous.components : {};
  let removed: Removed = same ? previous.removed : {};
  let lastPayload = '';
  let timer: NodeJS.Timeout | undefined;
  const random = o.random ?? Math.random;
  const now = o.now ?? Date.now;
  const delay = o.answerDelayMs ?? { min: 1000, max: 10_000 };

  function announce(force: boolean): void {
    if (!client.connected) return;
    const input = { node: o.node, machineId, birth: o.inventory(), metrics, topics: o.topics, ha, version: o.version };
    const current = Object.fromEntries(Object.entries(buildDiscovery(input, {}).components).map(([k, c]) => [k, c.platform])) as Published;
    const at = now();
    const tombstones: Removed = {};
    for (const [k, r] of Object.entries(removed)) if (!(k in current) && at - r.since < TOMBSTONE_MS) tombstones[k] = r;
    for (const [k, p] of Object.entries(published)) if (!(k in current) && !(k in tombstones)) tombstones[k] = { platform: p, since: at };
    const payload = JSON.stringify(buildDiscovery(input, Object.fromEntries(Object.entries(tombstones).map(([k, r]) => [k, r.platform])) as Record<string, Platform>));
    if (!force && payload === lastPayload) return;
    lastPayload = payload;
    const gone = Object.keys(tombstones).filter((k) => !(k in removed));
    // Recorded when sent, not when acknowledged: the next announce may come before the PUBACK and
    // must compute its tombstones from this one. A send that fails loses nothing: the components it
    // deleted stay in `removed` as tombstones, and the next (re)connect announces everything again.
    published = current;
    removed = tombstones;
    writePublished(o.stateDir, { deviceTopic: configTopic, components: published, removed });
    client.publish(configTopic, payload, RETAINED, (err) => {
      if (err) {
        lastPayload = '';
        return log.warn('Home Assistant discovery not published', { error: err.message });
      }
      if (gone.length > 0) log.info('Home Assistant entities removed', { components: gone.join(',') });
    });
  }

  const onConnect = () => {
    client.subscribe(ha.status(), { qos: 1 }, (err, granted) => {
      if (err || granted?.[0]?.qos === 128) log.warn('cannot follow Home Assistant restarts', { topic: ha.status(), error: err?.message ?? 'subscription refused' });
    });
    announce(true);
  };
  const onMessage = (topic: string, payload: Buffer) => {
    if (topic !== ha.status()) return;
    const said = payload.toString('utf8').trim();
    if (said !== 'online') return; // `offline` (HA's will) and anything else: nothing to do
    clearTimeout(timer);
    const wait = Math.round(delay.min + random() * (delay.max - delay.min));
    log.info('Home Assistant is online: announcing again', { inMs: wait });
    timer = setTimeout(() => {
      announce(true);
      o.republishState().catch((err: Error) => log.warn('state not republished for Home Assistant', { error: err.message }));
    }, wait);
  };
  client.on('connect', onConnect);
  client.on('message', onMessage);
  if (client.connected) onConnect();

  return {
    onMetrics(m) {
      metrics = m;
      announce(false);
    },
    refresh: () => announce(false),
    stop() {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('message', onMessage);
    },
  };
}
