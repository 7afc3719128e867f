/**
 * Network throughput from /proc/net/dev (proc(5)): cumulative byte counters per interface of the
 * reader's network namespace, so a rate needs two samples.
 */
import type { Metrics } from '@sitrep/schemas';

export interface NetCounters {
  rx: number;
  tx: number;
}

type Network = NonNullable<Metrics['network']>;

/** Interface name → byte counters, loopback excluded, in the kernel's order. */
export function parseNetDev(text: string): Map<string, NetCounters> {
  const counters = new Map<string, NetCounters>();
  const lines = text.split('\n');
  // Two header lines ("Inter-|   Receive ..." and " face |bytes ..."), then one line per interface.
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!;
    // Names cannot contain ':' (dev_valid_name), and a 15-character name leaves no space before
    // the first counter ("vethabcdef012345:1234 ..."), so split at the first colon.
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const name = line.slice(0, colon).trim();
    if (name === 'lo' || name === '') continue;
    // Receive: bytes packets errs drop fifo frame compressed multicast; then transmit: bytes ...
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    const rx = Number(fields[0]);
    const tx = Number(fields[8]);
    if (Number.isFinite(rx) && Number.isFinite(tx)) counters.set(name, { rx, tx });
  }
  return counters;
}

/** Bytes per second between two counter values; a counter that went backwards was reset. */
function rate(cur: number, prev: number, seconds: number): number {
  // A reset (interface re-created, driver reload, 32-bit wrap on old kernels) gives no usable
  // difference for this interval: report 0 rather than a negative or a huge bogus number.
  return cur < prev ? 0 : Math.round((cur - prev) / seconds);
}

/**
 * Keeps the previous counters. The first sample has no rate (undefined: the contract omits
 * `network`); an interface that appeared since the previous sample is left out until it has two
 * samples, one that disappeared simply drops out.
 */
export function createNetRates(): { sample(counters: Map<string, NetCounters>, atMs: number): Network | undefined } {
  let prev: { atMs: number; counters: Map<string, NetCounters> } | undefined;
  return {
    sample(counters, atMs) {
      const before = prev;
      prev = { atMs, counters };
      if (before === undefined || atMs <= before.atMs) return undefined;
      const seconds = (atMs - before.atMs) / 1000;
      const interfaces: Network['interfaces'] = [];
      let rxTotal = 0;
      let txTotal = 0;
      for (const [name, cur] of counters) {
        const old = before.counters.get(name);
        if (old === undefined) continue;
        const rx = rate(cur.rx, old.rx, seconds);
        const tx = rate(cur.tx, old.tx, seconds);
        rxTotal += rx;
        txTotal += tx;
        if (interfaces.length < 1024) interfaces.push({ name: name.slice(0, 64), rxBytesPerSec: rx, txBytesPerSec: tx });
      }
      return { rxBytesPerSec: rxTotal, txBytesPerSec: txTotal, interfaces };
    },
  };
}
