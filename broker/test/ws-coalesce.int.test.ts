/** Writes made in one tick leave as one WebSocket message (real server and client on loopback). */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { coalescingWebSocketStream } from '../src/transports/ws-coalesce.js';

let wss: WebSocketServer | undefined;
let client: WebSocket | undefined;
afterEach(async () => {
  client?.terminate();
  await new Promise((r) => wss?.close(r));
});

describe('coalescingWebSocketStream', () => {
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
