/**
 * aedes' message bus drains a backlog of messages that finish at once (no subscriber) by
 * recursion, one level per message, until the stack overflows (mcollina/mqemitter#204); the hub
 * died of it when 3,500 agents disconnected together. The broker flattens that drain: a deep
 * backlog is delivered completely and in order. Driven through the bus of a real broker: its
 * 100 delivery slots are held by a slow listener while 20,000 messages queue behind them.
 */
import { afterEach, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../src/testing.js';
import { flattenMqDrain } from '../src/delivery/flat-drain.js';

interface Bus {
  on(topic: string, listener: (packet: unknown, done: () => void) => void, done?: () => void): void;
  emit(packet: { topic: string; payload: Buffer }, cb: (err?: Error) => void): void;
  concurrency: number;
  current: number;
}

let tb: TestBroker | undefined;
afterEach(async () => {
  await tb?.close();
  tb = undefined;
});

/** Fill the bus's slots with held messages, queue `backlog` more behind them, then free the slots. */
async function drainBacklog(bus: Bus, backlog: number): Promise<number[]> {
  const held: (() => void)[] = [];
  await new Promise<void>((resolve) => bus.on('slow/topic', (_packet, done) => void held.push(done), resolve));
  for (let i = 0; i < bus.concurrency; i++) bus.emit({ topic: 'slow/topic', payload: Buffer.from('x') }, () => undefined);
  const delivered: number[] = [];
  for (let i = 0; i < backlog; i++) bus.emit({ topic: `nobody/${i}`, payload: Buffer.from('x') }, () => void delivered.push(i));
  expect(delivered).toHaveLength(0); // all queued behind the held slots
  for (const done of held) done();
  return delivered;
}

it('delivers a deep backlog completely and in order instead of overflowing the stack', async () => {
  tb = await startTestBroker();
  const bus = (tb.broker.aedes as unknown as { mq: Bus }).mq;
  expect(bus.concurrency).toBeGreaterThan(0); // the back-pressure bound stays
  const delivered = await drainBacklog(bus, 20_000);
  expect(delivered).toHaveLength(20_000);
  expect(delivered.every((v, i) => v === i)).toBe(true);
});

it('is needed: the bus as aedes builds it overflows on the same backlog', async () => {
  tb = await startTestBroker();
  // A second, unflattened bus of the same kind as the broker's.
  const Mq = (tb.broker.aedes as unknown as { mq: { constructor: new (o: object) => Bus } }).mq.constructor;
  const plain = new Mq({ concurrency: 100, matchEmptyLevels: true });
  await expect(drainBacklog(plain, 20_000)).rejects.toThrow(RangeError);
  const flat = new Mq({ concurrency: 100, matchEmptyLevels: true });
  expect(flattenMqDrain(flat)).toBe(true);
  expect(await drainBacklog(flat, 20_000)).toHaveLength(20_000);
});

it('keeps the concurrency bound when listeners emit while a message is delivered', async () => {
  tb = await startTestBroker();
  const bus = (tb.broker.aedes as unknown as { mq: Bus }).mq;
  let most = 0;
  const held: (() => void)[] = [];
  // Every nested message is held by its listener, so each keeps a slot until released.
  await new Promise<void>((resolve) => bus.on('nested/+', (_packet, done) => void (held.push(done), (most = Math.max(most, bus.current))), resolve));
  await new Promise<void>((resolve) =>
    bus.on('outer', (_packet, done) => {
      for (let i = 0; i < 2 * bus.concurrency; i++) bus.emit({ topic: `nested/${i}`, payload: Buffer.from('x') }, () => undefined);
      done();
    }, resolve),
  );
  bus.emit({ topic: 'outer', payload: Buffer.from('x') }, () => undefined);
  expect(most).toBeLessThanOrEqual(bus.concurrency);
  expect(held.length).toBeGreaterThan(0);
  expect(held.length).toBeLessThanOrEqual(bus.concurrency);
  // Releasing them lets the queued rest through, still within the bound.
  while (held.length > 0) held.shift()!();
  expect(most).toBeLessThanOrEqual(bus.concurrency);
  expect(bus.current).toBe(0);
});
