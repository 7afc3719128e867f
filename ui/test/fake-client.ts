/**
 * A fake mqtt.js client: emits the events mqtt.js emits, in its order, and records what the
 * composables ask of it (subscriptions, publishes). The real client over a real broker is covered
 * by the browser end-to-end test.
 */
import { EventEmitter } from 'node:events';
import type { IClientOptions, MqttClient } from 'mqtt';
import { expect } from 'vitest';
import { SUBSCRIBE_QOS, type Connect } from '../src/composables/useMqtt.js';

type Callback = (err: Error | null, granted?: unknown) => void;

export class FakeClient extends EventEmitter {
  readonly subscribed: string[][] = [];
  readonly subscribeCallbacks: Callback[] = [];
  readonly published: { topic: string; payload: string }[] = [];
  endedWith: boolean | undefined | null = null;
  constructor(
    readonly url: string,
    readonly options: IClientOptions,
  ) {
    super();
  }
  subscribe(filters: string[], opts: { qos: number }, cb: Callback): this {
    expect(opts.qos).toBe(SUBSCRIBE_QOS);
    this.subscribed.push(filters);
    this.subscribeCallbacks.push(cb);
    return this;
  }
  unsubscribe(): this {
    return this;
  }
  publish(topic: string, payload: string, _opts: unknown, cb: (err?: Error) => void): this {
    this.published.push({ topic, payload });
    cb();
    return this;
  }
  end(force?: boolean): this {
    this.endedWith = force;
    return this;
  }
}

export function fakeConnect(clients: FakeClient[]): Connect {
  return (url, options) => {
    const c = new FakeClient(url, options);
    clients.push(c);
    return c as unknown as MqttClient;
  };
}
