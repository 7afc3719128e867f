/**
 * The output of one supervised process across its runs: every line goes into a ring (for `tail`
 * and the evidence attached to transitions) and into a pending batch for `onLog`.
 */
import { LineRing } from './log-buffer.js';
import type { OutputStream } from './process-runner.js';
import type { LogLine } from './snapshot.js';

/** LogBatch holds at most 1000 lines: a full batch goes out at once. */
export const MAX_BATCH_LINES = 1000;
/** ServiceStateChanged.lastLines items are at most 4096 characters. */
const MAX_EVIDENCE_CHARS = 4096;

export interface OutputOptions {
  capacity: number;
  now: () => number;
  /** A batch of new lines, oldest first. */
  deliver(lines: LogLine[]): void;
  /** Lines are waiting: make sure `flush` is called soon. */
  pending(): void;
}

export class ProcessOutput {
  private readonly ring: LineRing<LogLine>;
  private batch: LogLine[] = [];

  constructor(private readonly o: OutputOptions) {
    this.ring = new LineRing(o.capacity);
  }

  push(stream: OutputStream, text: string): void {
    const line: LogLine = { ts: this.o.now(), text, stream };
    this.ring.push(line);
    this.batch.push(line);
    if (this.batch.length >= MAX_BATCH_LINES) this.flush();
    else this.o.pending();
  }

  flush(): void {
    if (this.batch.length === 0) return;
    const lines = this.batch;
    this.batch = [];
    this.o.deliver(lines);
  }

  tail(n: number): LogLine[] {
    return this.ring.tail(n);
  }

  /** The last `n` lines as the contract's `lastLines`. */
  evidence(n: number): string[] {
    return this.ring.tail(n).map((l) => l.text.slice(0, MAX_EVIDENCE_CHARS));
  }
}
