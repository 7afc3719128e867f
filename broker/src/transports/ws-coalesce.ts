/**
 * MQTT over WebSocket with one WebSocket message per burst instead of one per write. aedes (via
 * mqtt-packet) writes each packet in pieces (header, topic, id, payload) and `ws` turns every
 * write into a frame, so a browser receiving retained state got three to four frames per
 * message, each one event for it to dispatch. Writes are corked and sent together once the
 * burst pauses for a timer turn (about 1 ms), once it has been held `MAX_HOLD_MS`, or once
 * `FRAME_BYTES` are buffered; MQTT over WebSocket allows packets to span and share messages
 * [MQTT-6.0.0-2].
 *
 * Why a timer turn and not the tick: aedes sends retained messages one per `setImmediate` turn
 * (it waits for each write's callback), so corking for one tick still gave one frame per
 * retained message: 11,500 frames for the retained state of 500 nodes x 20 services, which the
 * browser received over ~10 s on a loaded 2-core machine. Spanning the turns of a burst packs
 * them into ~64 KiB messages.
 */
import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';

/** Buffered bytes at which a burst is sent without waiting for it to pause. */
export const FRAME_BYTES = 64 * 1024;
/** The longest a burst that keeps writing is held back, ms. A lone write waits one timer turn. */
export const MAX_HOLD_MS = 8;

export function coalescingWebSocketStream(ws: WebSocket): Duplex {
  // The high-water mark above FRAME_BYTES: writes keep returning true (aedes keeps writing)
  // until a frame's worth is buffered, then the frame leaves at once.
  const stream = createWebSocketStream(ws, { writableHighWaterMark: 2 * FRAME_BYTES });
  // Node calls _writev with everything buffered while corked; the socket is open here (the
  // stream is created in handleUpgrade's callback), so no CONNECTING case as in ws's _write.
  stream._writev = (chunks, callback) => {
    ws.send(Buffer.concat(chunks.map((c) => (Buffer.isBuffer(c.chunk) ? c.chunk : Buffer.from(c.chunk as string)))), callback);
  };
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let burstStart = 0;
  let wroteSinceCheck = false;
  const flush = () => {
    if (timer === null) return;
    clearTimeout(timer);
    timer = null;
    stream.uncork();
  };
  // Checked every timer turn: a burst still writing is held a little longer, up to MAX_HOLD_MS.
  const check = () => {
    if (wroteSinceCheck && performance.now() - burstStart < MAX_HOLD_MS) {
      wroteSinceCheck = false;
      timer = setTimeout(check, 0);
      return;
    }
    flush();
  };
  stream.write = ((...args: unknown[]) => {
    if (timer === null) {
      stream.cork();
      burstStart = performance.now();
      wroteSinceCheck = false;
      timer = setTimeout(check, 0);
    } else wroteSinceCheck = true;
    const ok = write(...args);
    if (stream.writableLength >= FRAME_BYTES) flush();
    return ok;
  }) as typeof stream.write;
  // Anything still held goes out before the stream ends or is destroyed: aedes destroys the
  // connection right after writing a refusing CONNACK [MQTT-3.2.2-5], which must still arrive.
  const end = stream.end.bind(stream) as (...args: unknown[]) => Duplex;
  stream.end = ((...args: unknown[]) => {
    flush();
    return end(...args);
  }) as typeof stream.end;
  const destroy = stream.destroy.bind(stream);
  stream.destroy = ((error?: Error) => {
    flush();
    return destroy(error);
  }) as typeof stream.destroy;
  stream.once('close', () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
  });
  return stream;
}
