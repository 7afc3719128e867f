/**
 * MQTT over WebSocket with one WebSocket message per burst instead of one per write. aedes (via
 * mqtt-packet) writes each packet in pieces (header, topic, id, payload) and `ws` turns every
 * write into a frame, so a browser receiving retained state got three to four frames per
 * message, each one event for it to dispatch. Writes made in the same tick are corked and sent
 * together; MQTT over WebSocket allows packets to span and share messages [MQTT-6.0.0-2].
 */
import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';

export function coalescingWebSocketStream(ws: WebSocket): Duplex {
  const stream = createWebSocketStream(ws);
  // Node calls _writev with everything buffered while corked; the socket is open here (the
  // stream is created in handleUpgrade's callback), so no CONNECTING case as in ws's _write.
  stream._writev = (chunks, callback) => {
    ws.send(Buffer.concat(chunks.map((c) => (Buffer.isBuffer(c.chunk) ? c.chunk : Buffer.from(c.chunk as string)))), callback);
  };
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let corked = false;
  stream.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(() => {
        corked = false;
        stream.uncork();
      });
    }
    return write(...args);
  }) as typeof stream.write;
  return stream;
}
