/**
 * The same ACL matrix (acl-matrix.ts) against Mosquitto 2.x running with the password and ACL files
 * sitrep exports: least privilege does not depend on our broker. Where Mosquitto behaves
 * differently, only the way a denial shows differs: it acknowledges a denied publish and drops the
 * message instead of closing the connection, and (2.0.11) grants every subscription but delivers
 * only what the ACL lets the subscriber read; so a denied subscription is checked by delivery.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type MqttClient, type Packet } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdentityStore, mosquittoAclFile, mosquittoPasswordFile } from '../src/index.js';
import { findMosquitto, startMosquitto, waitFor, type RunningMosquitto } from '../src/testing.js';
import { cases, identityOf, PUBLISH, ROLES, SUBSCRIBE, t, type RoleName } from './acl-matrix.js';

const found = findMosquitto();
if ('missing' in found) console.warn(`SKIPPED: the ACL matrix against Mosquitto: ${found.missing}`);

const SUBACK_FAILURE = 0x80;
let dir: string;
let mosquitto: RunningMosquitto;
const passwords = new Map<string, string>();
const clients: MqttClient[] = [];
const seen = new Set<string>();
let sentinel: MqttClient;
let probe: MqttClient;

/** A topic matching each denied filter that the role may not read ($SYS cannot be published to). */
const PROBES: Record<string, string | null> = {
  [t.filter.all()]: t.status('n2'),
  [t.cmd('n2')]: t.cmd('n2'),
  [t.filter.cmd()]: t.cmd('n2'),
  [t.filter.node('n1')]: t.status('n1'),
  [t.filter.status()]: t.status('n1'),
  [t.filter.reply()]: t.reply('x'),
  '#': 'elsewhere/x',
  '+/v1/#': 'other/v1/x',
  '$SYS/#': null,
  'elsewhere/#': 'elsewhere/x',
};

function connect(username: string): Promise<MqttClient> {
  const client = mqtt.connect(mosquitto.url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, username, password: passwords.get(username) });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

describe.skipIf('missing' in found)('ACL matrix on Mosquitto with the exported files', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sitrep-acl-mosquitto-'));
    const store = IdentityStore.open(join(dir, 'identities.json'));
    for (const role of ROLES) {
      const who = identityOf(role);
      passwords.set(who.username, await store.add(who.username, who.role, { ...(who.node === undefined ? {} : { node: who.node }), commands: who.commands }));
    }
    for (const name of ['observer', 'sentinel']) passwords.set(name, await store.add(name, 'service'));
    const passwordFile = join(dir, 'passwd');
    const aclFile = join(dir, 'acl');
    // Test only: a `probe` identity that may write anywhere, to offer each denied subscription a message.
    passwords.set('probe', 'probe-password');
    writeFileSync(passwordFile, await mosquittoPasswordFile([...passwords].map(([username, password]) => ({ username, password }))), { mode: 0o600 });
    writeFileSync(aclFile, `${mosquittoAclFile(store.list(), t, 'test')}\nuser probe\ntopic write #\n`);
    mosquitto = await startMosquitto({ binary: (found as { path: string }).path, dir, passwordFile, aclFile });
    const observer = await connect('observer');
    observer.on('message', (_topic, payload) => seen.add(payload.toString()));
    await observer.subscribeAsync(t.filter.all(), { qos: 1 });
    sentinel = await connect('sentinel');
    probe = await connect('probe');
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await mosquitto?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const byRole = new Map<RoleName, MqttClient>();
  async function client(role: RoleName): Promise<MqttClient> {
    const existing = byRole.get(role);
    if (existing?.connected === true) return existing;
    const c = await connect(identityOf(role).username);
    byRole.set(role, c);
    return c;
  }

  let marker = 0;
  it.each(cases(PUBLISH))('$role publishes $topic: $allowed', async ({ role, topic, allowed }) => {
    const c = await client(role);
    const payload = `m-${++marker}`;
    await c.publishAsync(topic, payload, { qos: 1 });
    if (allowed) {
      await waitFor(() => (seen.has(payload) ? true : undefined), `${payload} at the observer`, 5000);
      return;
    }
    // Mosquitto is single-threaded and acknowledged the denied publish: the sentinel is routed after it.
    const after = `${payload}-sentinel`;
    await sentinel.publishAsync(t.summary(), after, { qos: 1 });
    await waitFor(() => (seen.has(after) ? true : undefined), 'the sentinel at the observer', 5000);
    expect(seen.has(payload)).toBe(false);
  });

  it.each(cases(SUBSCRIBE))('$role subscribes $topic: $allowed', async ({ role, topic, allowed }) => {
    const c = await client(role);
    const suback = new Promise<number[]>((resolve) => {
      const onPacket = (packet: Packet) => {
        if (packet.cmd !== 'suback') return;
        c.off('packetreceive', onPacket);
        resolve(packet.granted as number[]);
      };
      c.on('packetreceive', onPacket);
    });
    c.subscribe(topic, { qos: 1 }, () => undefined);
    const granted = await suback;
    if (allowed || granted[0] === SUBACK_FAILURE) {
      expect(granted).toEqual([allowed ? 1 : SUBACK_FAILURE]);
      if (allowed) await c.unsubscribeAsync(topic);
      return;
    }
    // Granted although denied: nothing the role may not read must arrive through it.
    const probeTopic = PROBES[topic];
    expect(probeTopic, `a probe topic for ${topic}`).toBeDefined();
    if (probeTopic === null || probeTopic === undefined) return;
    const got: string[] = [];
    const onMessage = (_topic: string, payload: Buffer) => got.push(payload.toString());
    c.on('message', onMessage);
    await c.subscribeAsync(t.projectorStatus(), { qos: 1 });
    const payload = `probe-${++marker}`;
    await probe.publishAsync(probeTopic, payload, { qos: 1 });
    await probe.publishAsync(t.projectorStatus(), `${payload}-sentinel`, { qos: 1 });
    await waitFor(() => (got.includes(`${payload}-sentinel`) ? true : undefined), 'the sentinel');
    c.off('message', onMessage);
    await c.unsubscribeAsync([topic, t.projectorStatus()]);
    expect(got).toEqual([`${payload}-sentinel`]);
  });
});
