/**
 * The connection gate every listener goes through before a socket reaches aedes: a ceiling on open
 * connections and a rate for new ones, so neither a reconnect storm nor a flood of idle sockets can
 * exhaust the hub. Refused sockets are closed at once and logged (throttled).
 */
import type { Logger } from '@sitrep/schemas';
import type { BrokerLimits } from './config.js';
import { throttledWarn } from './throttled-log.js';
import { TokenBucket } from './token-bucket.js';

export type Admission = { ok: true; release: () => void } | { ok: false; reason: string };

export class ConnectionGate {
  private open = 0;
  private readonly bucket: TokenBucket;
  private readonly warn: ReturnType<typeof throttledWarn>;

  constructor(
    private readonly limits: Pick<BrokerLimits, 'maxConnections' | 'connectionsPerSecond' | 'connectionBurst'>,
    log: Logger,
  ) {
    this.bucket = new TokenBucket(limits.connectionsPerSecond, limits.connectionBurst);
    this.warn = throttledWarn(log, 'connection refused');
  }

  get connections(): number {
    return this.open;
  }

  admit(remote: string | undefined, transport: string): Admission {
    let reason: string | null = null;
    if (this.open >= this.limits.maxConnections) reason = `too many connections (limit ${this.limits.maxConnections})`;
    else if (!this.bucket.take()) reason = `connection rate over ${this.limits.connectionsPerSecond}/s (burst ${this.limits.connectionBurst})`;
    if (reason !== null) {
      this.warn({ remote, transport, reason });
      return { ok: false, reason };
    }
    this.open++;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.open--;
      },
    };
  }
}
