/** What the capacity bench loads: a broker the fleet connects to and a projector database to read. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startHubProcess } from '@sitrep/e2e';

export interface CapacityTarget {
  /** Where simulated agents connect. */
  mqttUrl: string;
  /** Where simulated identities are enrolled (the hub's data directory). */
  dataDir: string;
  /** The projector's SQLite file. */
  dbPath: string;
  /** Processes whose CPU and RSS are the cost of the hub. */
  pids: number[];
  stop(): Promise<void>;
}

export async function startSitrepHub(): Promise<CapacityTarget> {
  const hub = await startHubProcess(['--no-agent']);
  const pid = hub.child.pid;
  if (pid === undefined) throw new Error('the hub has no pid');
  return {
    mqttUrl: hub.mqttUrl,
    dataDir: hub.dataDir,
    dbPath: join(hub.dataDir, 'sitrep.db'),
    pids: [pid],
    async stop() {
      await hub.stop();
      rmSync(hub.dataDir, { recursive: true, force: true });
    },
  };
}
