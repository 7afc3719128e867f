/** The 50 units the agent and node-exporter both watch: idle sleepers that systemd restarts after 1 s. */
import type { Sandbox } from '@sitrep/deploy';

export const UNIT_COUNT = 50;
export const BENCH_UNITS = Array.from({ length: UNIT_COUNT }, (_, i) => `bench-${String(i + 1).padStart(2, '0')}.service`);
/** The unit the latency phase kills (every unit may be; this one is). */
export const KILLED_UNIT = BENCH_UNITS[0]!;
/** The same set for node-exporter's --collector.systemd.unit-include (anchored by node-exporter). */
export const BENCH_UNIT_PATTERN = 'bench-[0-9]+\\.service';

// Restart=always with RestartSec=1 changes nothing while the unit runs; it is what the kills need.
// StartLimitIntervalSec=0: without it systemd gives up after 5 starts in 10 s (start-limit-hit),
// which back-to-back kills reach.
const UNIT_BODY = '[Unit]\nDescription=sitrep bench sleeper\nStartLimitIntervalSec=0\n[Service]\nExecStart=/bin/sleep infinity\nRestart=always\nRestartSec=1\n';

export async function createBenchUnits(sb: Sandbox): Promise<void> {
  for (const unit of BENCH_UNITS) await sb.writeFile(`/etc/systemd/system/${unit}`, UNIT_BODY);
  await sb.exec(['systemctl', 'daemon-reload']);
  await sb.exec(['systemctl', 'start', ...BENCH_UNITS]);
  const { stdout } = await sb.exec(['systemctl', 'is-active', ...BENCH_UNITS], { allowFailure: true });
  const active = stdout.split('\n').filter((l) => l.trim() === 'active').length;
  if (active !== UNIT_COUNT) throw new Error(`only ${active} of ${UNIT_COUNT} bench units are active`);
}
