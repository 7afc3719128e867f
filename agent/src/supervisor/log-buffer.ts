/**
 * Output of supervised processes: a byte stream cut into lines (each at most `maxBytes` of UTF-8,
 * longer ones cut with a marker), kept in a fixed-size ring per process.
 */
export const MAX_LINE_BYTES = 8192;
export const TRUNCATION_MARKER = ' …[truncated]';
const MARKER_BYTES = Buffer.byteLength(TRUNCATION_MARKER);
const NEWLINE = 0x0a;

/** The last `capacity` items pushed, oldest first. */
export class LineRing<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('capacity must be at least 1');
  }

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.start] = item;
    this.start = (this.start + 1) % this.capacity;
  }

  /** The last `n` items, oldest first. */
  tail(n: number): T[] {
    const k = Math.max(0, Math.min(Math.floor(n), this.items.length));
    const out: T[] = [];
    for (let i = this.items.length - k; i < this.items.length; i++) out.push(this.items[(this.start + i) % this.items.length]!);
    return out;
  }
}

/**
 * Splits a byte stream at `\n` (a trailing `\r` is dropped). Memory stays bounded: of an
 * over-long line only the first `maxBytes` are kept until its newline arrives.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private truncated = false;

  constructor(
    private readonly emit: (text: string) => void,
    private readonly maxBytes = MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(NEWLINE, start);
      this.append(chunk.subarray(start, nl === -1 ? chunk.length : nl));
      if (nl === -1) return;
      this.flush();
      start = nl + 1;
    }
  }

  /** The stream ended: a last line without a newline still counts. */
  end(): void {
    if (this.size > 0 || this.truncated) this.flush();
  }

  private append(bytes: Buffer): void {
    if (bytes.length === 0) return;
    const room = this.maxBytes - this.size;
    if (bytes.length > room) this.truncated = true;
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    if (kept.length === 0) return;
    // Copy: a chunk is up to 64 KiB and must not be kept alive by a short line.
    this.parts.push(Buffer.from(kept));
    this.size += kept.length;
  }

  private flush(): void {
    const line = Buffer.concat(this.parts, this.size);
    let text: string;
    if (this.truncated) {
      // Cut so that text plus marker fit in maxBytes; a multi-byte character cut in half decodes to
      // U+FFFD, which is dropped.
      text = line.toString('utf8', 0, Math.max(0, this.maxBytes - MARKER_BYTES)).replace(/\uFFFD+$/, '') + TRUNCATION_MARKER;
    } else {
      text = line.toString('utf8');
      if (text.endsWith('\r')) text = text.slice(0, -1);
    }
    this.parts = [];
    this.size = 0;
    this.truncated = false;
    this.emit(text);
  }
}
