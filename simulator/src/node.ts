/**
 * One simulated node on the wire: its own MQTT connection and identity, a will that says `lost`,
 * the announce-on-connect of a real agent, commands answered from `SimHost`.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { codecs, type Topics } from '@sitrep/schemas';
import type { Outgoing, SimHost } from './host.js';

export interface NodeCounters {
  published: number;
  events: number;
  publishErrors: number;
  commands: number;
  badCommands: number;
}

export class SimNode {
  private client: MqttClient | null = null;
  private announced = false;
  private stopping = false;
  /** Events the broker acknowledged (PUBACK): after a crash, at least these must be in the log. */
  ackedEvents = 0;

  constructor(
    readonly host: SimHost,
    private readonly t: Topics,
    private readonly url: string,
    private readonly creds: { username: string; password: string },
    private readonly counters: NodeCounters,
    private readonly now: () => number,
  ) {}

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Connect and announce; resolves at the first CONNACK, rejects on refusal or timeout. */
  start(connectTimeoutMs: number): Promise<void> {
    const node = this.host.node;
    const will = () => ({ topic: this.t.status(node), payload: Buffer.from(JSON.stringify(this.host.status('lost', this.now()))), qos: 1 as const, retain: true });
    const client = mqtt.connect(this.url, {
      protocolVersion: 4,
      clientId: `sitrep-sim-${node}`,
      clean: true,
      keepalive: 60,
      connectTimeout: connectTimeoutMs,
      reconnectPeriod: 2000 + Math.floor(Math.random() * 3000),
      queueQoSZero: false,
      username: this.creds.username,
      password: this.creds.password,
      will: will(),
    });
    this.client = client;
    client.on('connect', () => {
      client.subscribe(this.t.cmd(node), { qos: 1 });
      this.send(this.host.announce(this.now(), !this.announced));
      this.announced = true;
    });
    client.on('close', () => {
      if (this.stopping) return;
      this.host.renewSession();
      client.options.will = will();
    });
    client.on('message', (topic, payload) => this.onCommand(topic, payload));
    client.on('error', (err) => {
      // Refused credentials do not get better by retrying every few seconds.
      const code = (err as { code?: number }).code;
      if (code === 4 || code === 5) client.end(true);
    });
    return new Promise((resolve, reject) => {
      const fail = (err: Error) => {
        client.removeListener('connect', ok);
        reject(err);
      };
      const ok = () => {
        client.removeListener('error', fail);
        resolve();
      };
      client.once('connect', ok);
      client.once('error', fail);
    });
  }

  /**
   * One interval. Offline, the host keeps living and its events queue in the client (as a real
   * agent spools them) to be delivered on reconnect; its retained states go out with the announce.
   */
  tick(): void {
    if (!this.announced || this.stopping) return;
    const out = this.host.tick(this.now());
    this.send(this.connected ? out : out.filter((o) => o.seq !== undefined));
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const client = this.client;
    if (client === null) return;
    if (client.connected) {
      // A clean stop says `offline`, like an agent stopped by systemd; the will must not fire.
      await client.publishAsync(this.t.status(this.host.node), JSON.stringify(this.host.status('offline', this.now())), { qos: 1, retain: true }).catch(() => undefined);
    }
    await client.endAsync(!client.connected).catch(() => undefined);
  }

  /** Drop the connection without a DISCONNECT, so the broker fires the will (fault injection). */
  kill(): void {
    this.stopping = true;
    this.client?.stream.destroy();
    this.client?.end(true);
  }

  private onCommand(topic: string, payload: Buffer): void {
    if (topic !== this.t.cmd(this.host.node)) return;
    this.counters.commands += 1;
    const decoded = codecs.command.decode(payload);
    if (!decoded.ok) {
      // An agent answers garbage with a refusal; the simulator only counts it.
      this.counters.badCommands += 1;
      return;
    }
    this.send(this.host.command(decoded.value, this.now()));
  }

  private send(out: Outgoing[]): void {
    const client = this.client;
    if (client === null) return;
    for (const o of out) {
      this.counters.published += 1;
      if (o.seq !== undefined) this.counters.events += 1;
      client.publish(o.topic, JSON.stringify(o.payload), { qos: o.qos, retain: o.retain }, (err) => {
        if (err) this.counters.publishErrors += 1;
        else if (o.seq !== undefined) this.ackedEvents += 1;
      });
    }
  }
}
