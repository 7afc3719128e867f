/**
 * Queries have a connection of their own (mqtt/query-connection.ts), on the hub's broker (aedes
 * with SQLite persistence, as `sitrep hub` runs it) and on Mosquitto with the files `sitrep broker
 * export-mosquitto` writes (the projector's identity must be allowed to read queries on its second
 * client id): a query is answered while the consumer's session has a backlog it has not read (on
 * one shared session the query waited behind it), it answers again once its clean session has
 * reconnected, and a session kept from a version that took queries on the consumer's connection
 * no longer gets them, so none is answered twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient, type Packet } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { codecs, createTopics, memoryLogger, type AgentEvent } from '@sitrep/schemas';
import { IdentityStore, mosquittoAclFile, mosquittoPasswordFile } from '@sitrep/broker';
import { findMosquitto, nextMessage, startMosquitto, startTestBroker, waitFor, type Credentials } from '@sitrep/broker/testing';
import { consumerFilters, eventsOf, listDeadLetters, startProjector, type RunningProjector } from '../src/index.js';
import { queryClientId, startQueryConnection } from '../src/mqtt/query-connection.js';

const t = createTopics('sitrep/v1');
const PROJECTOR_ID = 'sitrep-projector';
const BACKLOG = 2000;

interface Bus {
  projector: Credentials;
  agent: Credentials;
  viewer: Credentials;
  url: string;
  connect(creds: Credentials, opts?: IClientOptions): Promise<MqttClient>;
  close(): Promise<void>;
}

function connectTo(url: string, clients: MqttClient[]) {
  return (creds: Credentials, opts: IClientOptions = {}) => {
    const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...creds, ...opts });
    clients.push(client);
    return new Promise<MqttClient>((resolve, reject) => {
      client.once('connect', () => resolve(client));
      client.once('error', reject);
    });
  };
}

async function hubBroker(): Promise<Bus> {
  const tb = await startTestBroker({ persistence: 'sqlite' });
  return {
    projector: await tb.identity('service', 'projector'),
    agent: await tb.identity('agent', 'agent-n1', 'n1'),
    viewer: await tb.identity('viewer', 'v'),
    url: tb.tcpUrl,
    connect: (creds, opts) => tb.connect(creds, opts),
    close: () => tb.close(),
  };
}

async function mosquittoBroker(binary: string): Promise<Bus> {
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-query-mosquitto-'));
  const store = IdentityStore.open(join(dir, 'identities.json'));
  const projector = { username: 'projector', password: await store.add('projector', 'service') };
  const agent = { username: 'agent-n1', password: await store.add('agent-n1', 'agent', { node: 'n1' }) };
  const viewer = { username: 'v', password: await store.add('v', 'viewer') };
  const passwordFile = join(dir, 'passwd');
  const aclFile = join(dir, 'acl');
  writeFileSync(passwordFile, await mosquittoPasswordFile([projector, agent, viewer], 101), { mode: 0o600 });
  writeFileSync(aclFile, mosquittoAclFile(store.list(), t, 'test'));
  const mosquitto = await startMosquitto({ binary, dir, passwordFile, aclFile });
  const clients: MqttClient[] = [];
  return {
    projector,
    agent,
    viewer,
    url: mosquitto.url,
    connect: connectTo(mosquitto.url, clients),
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
      await mosquitto.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ev = (seq: number): AgentEvent => ({ v: 1, node: 'n1', session: 's1', seq, ts: 1000 + seq, type: 'AgentStarted', data: { version: '1', pid: seq } });

let bus: Bus | undefined;
let projector: RunningProjector | undefined;
afterEach(async () => {
  projector?.client.stream?.resume(); // a test that failed with its consumer paused
  await projector?.stop();
  projector = undefined;
  await bus?.close();
  bus = undefined;
});

async function start(b: Bus): Promise<RunningProjector> {
  projector = startProjector({
    dbPath: join(mkdtempSync(join(tmpdir(), 'sitrep-pquery-')), 'sitrep.db'),
    broker: { url: b.url, ...b.projector },
    clientId: PROJECTOR_ID,
    log: memoryLogger('projector'),
  });
  await projector.ready;
  return projector;
}

/** Ask `name` as a viewer; resolves with the decoded reply, or fails after 5 s. */
async function ask(viewer: MqttClient, name: string, id: string) {
  const replyTo = t.reply('ui-test');
  const reply = nextMessage(viewer, replyTo, (_t, p) => p.toString().includes(id));
  await viewer.publishAsync(t.query(name), JSON.stringify({ id, replyTo }), { qos: 1 });
  const decoded = codecs.queryReply.decode((await reply).payload);
  if (!decoded.ok) throw new Error(decoded.reason);
  return decoded.value;
}

const found = findMosquitto();
if ('missing' in found) console.warn(`SKIPPED: the query connection against Mosquitto: ${found.missing}`);
const targets: [string, () => Promise<Bus>, boolean][] = [
  ['the hub broker (aedes, SQLite persistence)', hubBroker, false],
  ['Mosquitto with the exported ACL', () => mosquittoBroker((found as { path: string }).path), 'missing' in found],
];

describe.each(targets)('queries on their own connection, %s', (_name, open, skip) => {
  it.skipIf(skip)('answers a query while the consumer has a backlog it has not read, and loses none of the backlog', async () => {
    bus = await open();
    const p = await start(bus);
    const agent = await bus.connect(bus.agent);
    const viewer = await bus.connect(bus.viewer);
    // The consumer stops reading its socket: what the broker sends its session now stays unread.
    p.client.stream.pause();
    for (let from = 1; from <= BACKLOG; from += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, i) => agent.publishAsync(t.events('n1'), JSON.stringify(ev(from + i)), { qos: 1 })));
    }
    // Every event reached the broker before the query: on one shared session it would wait behind them.
    const reply = await ask(viewer, 'deadLetters', 'behind-the-backlog');
    expect(reply).toMatchObject({ ok: true, id: 'behind-the-backlog' });
    expect(eventsOf(p.db, 'n1')).toHaveLength(0);

    p.client.stream.resume();
    await waitFor(() => (eventsOf(p.db, 'n1').length === BACKLOG ? true : undefined), `all ${BACKLOG} events folded`, 30_000);
    expect(listDeadLetters(p.db)).toEqual([]);
  });

  it.skipIf(skip)('answers again after its query connection dropped (mqtt.js subscribes the clean session again)', async () => {
    bus = await open();
    const p = await start(bus);
    const viewer = await bus.connect(bus.viewer);
    expect(await ask(viewer, 'nodes', 'before')).toMatchObject({ ok: true });
    // mqtt.js reconnects the clean session and subscribes again; the SUBACK says the broker has it.
    const resubscribed = new Promise<void>((resolve) => {
      const onPacket = (packet: Packet) => {
        if (packet.cmd !== 'suback') return;
        p.queryClient.off('packetreceive', onPacket);
        resolve();
      };
      p.queryClient.on('packetreceive', onPacket);
    });
    p.queryClient.stream.destroy();
    await resubscribed;
    expect(await ask(viewer, 'nodes', 'after')).toMatchObject({ ok: true, id: 'after' });
  });

  it.skipIf(skip)('drops the query filter from a session kept from before, so no query is answered twice', async () => {
    bus = await open();
    // The consumer's session as an older projector left it: subscribed to queries too.
    const old = await bus.connect(bus.projector, { clientId: PROJECTOR_ID, clean: false });
    await old.subscribeAsync([...new Set([...consumerFilters(t), t.filter.query()])], { qos: 1 });
    await old.endAsync();

    const p = await start(bus);
    // Whatever the consumer's connection publishes as a reply, up to the end of its stop.
    let viaConsumer = 0;
    p.client.on('packetsend', (packet: Packet) => {
      if (packet.cmd === 'publish' && packet.topic === t.reply('ui-test')) viaConsumer++;
    });
    const viewer = await bus.connect(bus.viewer);
    const replies: string[] = [];
    viewer.on('message', (topic, payload) => {
      if (topic === t.reply('ui-test')) replies.push(payload.toString());
    });
    expect(await ask(viewer, 'nodes', 'once')).toMatchObject({ ok: true, id: 'once' });

    // A second answer would come from the consumer's connection, before the offline status it
    // publishes when stopping: once that status is here, any such answer would be too. (Retained,
    // so it arrives even if the projector stops before this subscription is in place.)
    const offline = nextMessage(viewer, t.projectorStatus(), (_t, payload) => payload.toString().includes('"offline"'));
    await p.stop();
    projector = undefined;
    await offline;
    expect(replies.filter((r) => r.includes('"once"'))).toHaveLength(1);
    expect(viaConsumer).toBe(0);
  });
});

describe('a projector the broker refuses', () => {
  it('fails ready with the refusal, and stops', async () => {
    const tb = await startTestBroker();
    const dir = mkdtempSync(join(tmpdir(), 'sitrep-refused-'));
    try {
      const log = memoryLogger('projector');
      const p = startProjector({ dbPath: join(dir, 'sitrep.db'), broker: { url: tb.tcpUrl, username: 'nobody', password: 'wrong' }, log });
      await expect(p.ready).rejects.toThrow(/^the broker refused the projector \(sitrep-projector\): Connection refused: (Bad username or password|Not authorized)/);
      await p.stop();
      expect(log.lines.some((l) => l.startsWith('projector error cannot start error='))).toBe(true);
    } finally {
      await tb.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a query connection the broker refuses', () => {
  it('fails listen() with the broker\'s refusal instead of waiting for ever', async () => {
    const tb = await startTestBroker();
    try {
      const log = memoryLogger('queries');
      const queries = startQueryConnection({
        url: tb.tcpUrl, username: 'nobody', password: 'wrong', clientId: queryClientId(PROJECTOR_ID), topics: t, log, answer: () => undefined,
      });
      await expect(queries.listen()).rejects.toThrow(/^the broker refused the query connection \(sitrep-projector-queries\): Connection refused: (Bad username or password|Not authorized)/);
      await queries.stop();
      expect(log.lines.filter((l) => l.includes('query connection down'))).toEqual([]); // a stop is not news
    } finally {
      await tb.close();
    }
  });
});
