/**
 * Memory and CPU of a unit read straight from its cgroup (v2): two small file reads instead of a
 * D-Bus round trip or a `systemctl` process per unit and cycle.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface Usage {
  memoryBytes: number | null;
  cpuNsec: number | null;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null; // No such controller or cgroup (unit stopped, cgroup v1, accounting off): unknown.
  }
}

export async function readCgroupUsage(controlGroup: string, root = '/sys/fs/cgroup'): Promise<Usage> {
  const dir = join(root, controlGroup);
  const [memory, cpu] = await Promise.all([readOrNull(join(dir, 'memory.current')), readOrNull(join(dir, 'cpu.stat'))]);
  const mem = memory === null ? NaN : Number(memory.trim());
  const usec = cpu === null ? null : /^usage_usec (\d+)$/m.exec(cpu)?.[1];
  return {
    memoryBytes: Number.isFinite(mem) ? mem : null,
    cpuNsec: usec === null || usec === undefined ? null : Number(usec) * 1000,
  };
}
