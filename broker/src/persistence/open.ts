/**
 * Which persistence the broker runs on. `sqlite` is what `sitrep hub` and `sitrep broker` use
 * (a file in the data directory); `memory` is aedes' own in-memory one (nothing survives a
 * restart), the default for tests that want speed.
 */
import type { Logger } from '@sitrep/schemas';
import type { OverflowStats } from './outgoing.js';
import { SqlitePersistence } from './sqlite-persistence.js';

export type PersistenceOptions =
  | { kind: 'memory' }
  | {
      kind: 'sqlite';
      /** The database file; created with its WAL next to it. */
      path: string;
      /** Queued QoS 1/2 deliveries kept per persistent session (default 100,000). */
      maxQueuedPerClient?: number;
    };

export interface BrokerPersistence {
  readonly kind: PersistenceOptions['kind'];
  /** What to pass as aedes' `persistence` option (undefined: aedes' in-memory default). */
  readonly aedes: SqlitePersistence | undefined;
  /** Deliveries dropped because a session's queue was full (always zero in memory). */
  overflow(): OverflowStats;
  close(): Promise<void>;
}

export function openPersistence(opts: PersistenceOptions, log: Logger): BrokerPersistence {
  if (opts.kind === 'memory') {
    return { kind: 'memory', aedes: undefined, overflow: () => ({ dropped: 0, fullClients: [] }), close: async () => undefined };
  }
  const sqlite = new SqlitePersistence({ path: opts.path, log, maxQueuedPerClient: opts.maxQueuedPerClient });
  return { kind: 'sqlite', aedes: sqlite, overflow: () => sqlite.overflowStats(), close: () => sqlite.destroy() };
}
