/** Memory and swap from /proc/meminfo (proc(5)); values there are in KiB despite saying "kB". */
import type { Metrics } from '@sitrep/schemas';
import { MetricsError } from './metrics-error.js';
import { clampPercent } from './percent.js';

const WANTED = new Set(['MemTotal', 'MemFree', 'MemAvailable', 'Buffers', 'Cached', 'SwapTotal', 'SwapFree']);

export function parseMeminfo(text: string): Metrics['memory'] {
  const kib = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === -1) continue;
    const key = line.slice(0, colon);
    if (WANTED.has(key)) kib.set(key, Number.parseInt(line.slice(colon + 1), 10));
  }
  const get = (key: string) => {
    const v = kib.get(key);
    return v === undefined || !Number.isFinite(v) ? undefined : v * 1024;
  };
  const total = get('MemTotal');
  if (total === undefined) throw new MetricsError('PROC_PARSE_FAILED', '/proc/meminfo has no MemTotal');
  // MemAvailable exists since Linux 3.14; before it, free + buffers + page cache is the usual estimate.
  const available = Math.min(total, get('MemAvailable') ?? (get('MemFree') ?? 0) + (get('Buffers') ?? 0) + (get('Cached') ?? 0));
  const used = total - available;
  const memory: Metrics['memory'] = {
    total,
    used,
    available,
    percent: clampPercent(total > 0 ? (used / total) * 100 : 0),
  };
  const swapTotal = get('SwapTotal');
  const swapFree = get('SwapFree');
  if (swapTotal !== undefined && swapFree !== undefined) {
    memory.swapTotal = swapTotal;
    memory.swapUsed = Math.max(0, swapTotal - swapFree);
  }
  return memory;
}
