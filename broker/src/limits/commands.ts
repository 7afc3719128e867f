/** Per-identity rate of commands: one bucket per username, created on the first command. */
import type { BrokerLimits } from './config.js';
import { TokenBucket } from './token-bucket.js';

export class CommandRate {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(private readonly limits: Pick<BrokerLimits, 'commandsPerSecond' | 'commandBurst'>) {}

  /** null when the identity may publish one more command now, else the reason it may not. */
  take(username: string): string | null {
    let bucket = this.buckets.get(username);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.limits.commandsPerSecond, this.limits.commandBurst);
      this.buckets.set(username, bucket);
    }
    return bucket.take() ? null : `command rate over ${this.limits.commandsPerSecond}/s (burst ${this.limits.commandBurst})`;
  }
}
