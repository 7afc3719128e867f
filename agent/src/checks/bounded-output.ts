/**
 * Output of a run, kept within a byte budget. Past the budget the beginning and the end are kept
 * (the start says what the script was doing, the end how it finished) with a marker between them
 * saying how much was left out. The text, marker included, never exceeds the budget, and cuts
 * fall on UTF-8 character boundaries.
 */

const marker = (omitted: number) => `\n[... sitrep: ${omitted} bytes of output omitted ...]\n`;

/** Smallest budget that still leaves room for some output around the marker. */
export const MIN_OUTPUT_BUDGET = 256;

const isContinuation = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;

export class BoundedOutput {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(readonly maxBytes: number) {
    if (!(maxBytes >= MIN_OUTPUT_BUDGET)) throw new RangeError(`output budget must be at least ${MIN_OUTPUT_BUDGET} bytes, got ${maxBytes}`);
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < this.maxBytes) {
      const take = chunk.subarray(0, this.maxBytes - this.headBytes);
      this.head.push(take);
      this.headBytes += take.length;
    }
    // The tail keeps the last maxBytes seen, so any cut point is available at the end.
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= this.maxBytes) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  /** Bytes written in all, kept or not. */
  get totalBytes(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.total > this.maxBytes;
  }

  text(): string {
    if (!this.truncated) return Buffer.concat(this.head).toString('utf8');
    // The marker's length depends on the omitted count, which depends on the marker's length:
    // size it for the largest count it could show.
    const room = this.maxBytes - Buffer.byteLength(marker(this.total));
    let headEnd = Math.floor(room / 2);
    const head = Buffer.concat(this.head);
    while (headEnd > 0 && isContinuation(head[headEnd])) headEnd--;
    const tailAll = Buffer.concat(this.tail);
    let tailStart = tailAll.length - (room - Math.floor(room / 2));
    while (tailStart < tailAll.length && isContinuation(tailAll[tailStart])) tailStart++;
    const tail = tailAll.subarray(tailStart);
    const omitted = this.total - headEnd - tail.length;
    return `${head.subarray(0, headEnd).toString('utf8')}${marker(omitted)}${tail.toString('utf8')}`;
  }
}
