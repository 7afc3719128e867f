/**
 * Enforces the maximum MQTT packet size on a connection before aedes buffers the packet: the
 * parser behind aedes (mqtt-packet) accepts up to 256 MB per packet, so a single client could make
 * the broker hold that much. We read each fixed header's Remaining Length [MQTT-2.2.3] as the
 * bytes go by and close the connection as soon as one announces more than the limit.
 */
import type { Duplex } from 'node:stream';

/** Tracks packet boundaries across chunks: a header byte, 1-4 length bytes, then the body. */
class FrameScanner {
  private state: 'header' | 'length' | 'body' = 'header';
  private length = 0;
  private multiplier = 1;
  private lengthBytes = 0;
  private remaining = 0;

  constructor(private readonly max: number) {}

  /** null while every packet is within the limit, else why not. */
  scan(chunk: Buffer): string | null {
    let i = 0;
    while (i < chunk.length) {
      if (this.state === 'body') {
        const skip = Math.min(this.remaining, chunk.length - i);
        i += skip;
        this.remaining -= skip;
        if (this.remaining === 0) this.state = 'header';
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.state === 'header') {
        this.state = 'length';
        this.length = 0;
        this.multiplier = 1;
        this.lengthBytes = 0;
        continue;
      }
      this.length += (byte & 0x7f) * this.multiplier;
      this.multiplier *= 128;
      this.lengthBytes++;
      if ((byte & 0x80) !== 0) {
        // The Remaining Length is at most four bytes [MQTT-2.2.3].
        if (this.lengthBytes === 4) return 'malformed remaining length';
        continue;
      }
      if (this.length > this.max) return `packet of ${this.length} bytes exceeds the limit of ${this.max}`;
      this.remaining = this.length;
      this.state = this.remaining > 0 ? 'body' : 'header';
    }
    return null;
  }
}

/**
 * Watch what aedes reads from `conn` (it pulls with `read()` on 'readable'); on an oversize packet,
 * hand nothing more to aedes, destroy the connection and call `onViolation` once.
 */
export function guardPacketSize(conn: Duplex, max: number, onViolation: (reason: string) => void): void {
  const scanner = new FrameScanner(max);
  const read = conn.read.bind(conn);
  let violated = false;
  conn.read = (size?: number) => {
    if (violated) return null;
    const chunk: unknown = read(size);
    if (!Buffer.isBuffer(chunk)) return chunk;
    const problem = scanner.scan(chunk);
    if (problem === null) return chunk;
    violated = true;
    onViolation(problem);
    conn.destroy();
    return null;
  };
}
