/** Writes of one burst leave as one WebSocket message (real server and client on loopback). */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { coalescingWebSocketStream, FRAME_BYTES } from '../src/transports/ws-coalesce.js';

let wss: WebSocketServer | undefined;
let client: WebSocket | undefined;
afterEach(async () => {
  client?.terminate();
  await new Promise((r) => wss?.close(r));
});

async function pair(): Promise<{ ws: WebSocket; received: Buffer[] }> {
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const serverSide = once(wss, 'connection') as Promise<[WebSocket]>;
  client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
  const received: Buffer[] = [];
  client.on('message', (data: Buffer) => received.push(data));
  const [ws] = await serverSide;
  return { ws, received };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

describe('coalescingWebSocketStream', () => {
  it('holds a burst written one event-loop turn at a time (as aedes sends retained state) in one message', async () => {
    const { ws, received } = await pair();
    const stream = coalescingWebSocketStream(ws);
    for (let i = 0; i < 20; i++) {
      stream.write(Buffer.from(String.fromCharCode(97 + i)));
      await turn();
    }
    await new Promise<void>((resolve) => client!.once('message', () => resolve()));
    expect(received.map(String)).toEqual(['abcdefghijklmnopqrst']);
  });

  it('sends what it holds before the stream is destroyed (a refusing CONNACK, then close)', async () => {
    const { ws, received } = await pair();
    const stream = coalescingWebSocketStream(ws);
    const closed = once(client!, 'close');
    stream.write(Buffer.from('connack'));
    stream.destroy();
    await closed;
    expect(received.map(String)).toEqual(['connack']);
  });

  it('sends a frame once FRAME_BYTES are buffered, without waiting for the burst to end', async () => {
    const { ws, received } = await pair();
    const stream = coalescingWebSocketStream(ws);
    const chunk = Buffer.alloc(1024, 1);
    for (let i = 0; i < (FRAME_BYTES / 1024) * 2 + 1; i++) stream.write(chunk);
    const total = FRAME_BYTES * 2 + 1024;
    const bytes = () => received.reduce((n, b) => n + b.length, 0);
    await new Promise<void>((resolve) => client!.on('message', () => bytes() === total && resolve()));
    // The first frame left at the threshold; what was written while it was sending follows.
    expect(received[0]?.length).toBe(FRAME_BYTES);
    expect(received.length).toBeGreaterThan(1);
  });

  it('sends the writes of one tick as one message, in order, and later writes separately', async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await once(wss, 'listening');
    const serverSide = once(wss, 'connection') as Promise<[WebSocket]>;
    client = new WebSocket(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}`);
    const received: string[] = [];
    const two = new Promise<void>((resolve) => {
      client!.on('message', (data: Buffer) => {
        received.push(data.toString());
        if (received.length === 2) resolve();
      });
    });
    const [ws] = await serverSide;
    const stream = coalescingWebSocketStream(ws);
    stream.write(Buffer.from('a'));
    stream.write(Buffer.from('b'));
    stream.write(Buffer.from('c'));
    // The next write comes after the first message is out: a later tick for sure.
    await once(client, 'message');
    stream.write(Buffer.from('d'));
    await two;
    expect(received).toEqual(['abc', 'd']);
  });
});
