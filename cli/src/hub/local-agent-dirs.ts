/**
 * Where the hub's own agent keeps its things, under the hub's data directory. One place, because
 * `sitrep hub` starts the agent with them and `sitrep check|process|logs --data DIR` act on them.
 */
import { join, resolve } from 'node:path';

export interface LocalAgentDirs {
  stateDir: string;
  checksDir: string;
  processesDir: string;
}

export function localAgentDirs(dataDir: string): LocalAgentDirs {
  const data = resolve(dataDir);
  return { stateDir: join(data, 'agent'), checksDir: join(data, 'checks.d'), processesDir: join(data, 'processes.d') };
}
