/**
 * Fallback when the system bus is unavailable: one batched `systemctl show` for every watched
 * unit per poll interval (argument arrays only, TZ=UTC so timestamps parse the same everywhere).
 */
import { execFile } from 'node:child_process';
import type { Logger } from '@sitrep/schemas';
import type { SourceEvents, UnitSource } from './dbus-source.js';
import { parseShowOutput, SHOW_PROPERTIES, type UnitProps } from './unit-props.js';

export function systemctlShow(units: readonly string[], timeoutMs = 10_000): Promise<UnitProps[]> {
  if (units.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    execFile(
      'systemctl',
      ['show', '--no-pager', `--property=${SHOW_PROPERTIES.join(',')}`, '--', ...units],
      { timeout: timeoutMs, env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' }, maxBuffer: 8 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`systemctl show failed: ${stderr.trim() || err.message}`));
        else resolve(parseShowOutput(stdout));
      },
    );
  });
}

const same = (a: UnitProps, b: UnitProps) => JSON.stringify(a) === JSON.stringify(b);

export function startShowSource(events: SourceEvents, log: Logger, intervalMs: number): UnitSource {
  let units: readonly string[] = [];
  const known = new Map<string, UnitProps>();
  let running = false;

  async function poll(): Promise<void> {
    if (running) return;
    running = true;
    try {
      const asked = units;
      const shown = await systemctlShow(asked);
      // One block per argument, in order; Id may differ from the name asked for (aliases).
      for (const [i, props] of shown.entries()) {
        const unit = asked[i];
        if (unit === undefined) break;
        const before = known.get(unit);
        known.set(unit, props);
        if (before === undefined || !same(before, props)) events.change(unit, props);
      }
    } catch (err) {
      log.warn('unit poll failed', { error: (err as Error).message });
    } finally {
      running = false;
    }
  }
  const timer = setInterval(() => void poll(), intervalMs);
  timer.unref();

  return {
    kind: 'poll',
    async setUnits(next) {
      units = [...next];
      for (const u of known.keys()) if (!next.includes(u)) known.delete(u);
      await poll();
    },
    current: (unit) => known.get(unit),
    async stop() {
      clearInterval(timer);
    },
  };
}
