/**
 * deploy/sitrep-agent.service in a real systemd: its sandboxing must still let the agent do its
 * job (read /proc, /sys, /etc/machine-id and the journal, run systemctl, journalctl, `apt-get -s`,
 * start and stop units, over D-Bus too) and refuse the rest (writes outside its state directory).
 * A probe runs under the unit with only ExecStart and Type changed, so every hardening line is
 * the shipped one; features the agent gains later are covered before it needs them.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_UNIT_TEMPLATE, DEPLOY_DIR, bundleForNode, sandboxUnavailable, startSandbox, unitProperties, type Sandbox } from '../src/index.js';

const unavailable = sandboxUnavailable();
if (unavailable !== null) console.warn(`SKIPPING deploy/test/unit-hardening.test.ts: ${unavailable}`);

const PROBE_UNIT = 'sitrep-agent-probe.service';
const TARGET_UNIT = 'sitrep-probe-target.service';
const OUTPUT = '/run/sitrep-agent-probe.json';

/** The shipped unit with only what makes it a one-shot probe changed; everything else verbatim. */
function probeUnit(template: string, execStart: string): string {
  const replaced = { ExecStart: 0, Type: 0 };
  const lines = template.split('\n').flatMap((line) => {
    if (line.startsWith('ExecStart=')) return (replaced.ExecStart++, [`ExecStart=${execStart}`, `StandardOutput=truncate:${OUTPUT}`]);
    if (line.startsWith('Type=')) return (replaced.Type++, ['Type=oneshot']);
    // Restart= is not allowed for a oneshot, and the probe must not loop.
    if (/^Restart(Sec|PreventExitStatus)?=/.test(line)) return [];
    return [line];
  });
  if (replaced.ExecStart !== 1 || replaced.Type !== 1) throw new Error(`unexpected unit template: ${JSON.stringify(replaced)}`);
  return lines.join('\n');
}

describe.skipIf(unavailable !== null)('the agent unit hardening, in a real systemd', () => {
  let sb: Sandbox;
  let buildDir: string;
  let probe: string;

  beforeAll(async () => {
    // Inside the repository: the sandbox sees it through its read-only bind mount.
    buildDir = mkdtempSync(join(DEPLOY_DIR, 'dist', 'probe-'));
    probe = (await bundleForNode({ entry: join(DEPLOY_DIR, 'test/fixtures/unit-probe.ts'), outfile: join(buildDir, 'unit-probe.mjs'), format: 'esm' })).path;
    sb = await startSandbox();
    console.info(`sandbox ${sb.name}: deps ${sb.timings.depsMs} ms, rootfs ${sb.timings.buildMs} ms, boot ${sb.timings.upMs} ms`);
  });

  afterAll(async () => {
    await sb?.stop();
    if (buildDir !== undefined) rmSync(buildDir, { recursive: true, force: true });
  });

  it('lets the agent read, run and control what it needs, and nothing more', async () => {
    const unit = probeUnit(readFileSync(AGENT_UNIT_TEMPLATE, 'utf8'), `/usr/local/bin/node ${probe} ${TARGET_UNIT}`);
    await sb.writeFile(`/etc/systemd/system/${PROBE_UNIT}`, unit);
    await sb.writeFile(`/etc/systemd/system/${TARGET_UNIT}`, '[Service]\nExecStart=/bin/sleep infinity\n');
    await sb.exec(['systemctl', 'daemon-reload']);
    // A oneshot: `start` returns when the probe exited, failing if the probe did.
    const started = await sb.exec(['systemctl', 'start', PROBE_UNIT], { allowFailure: true, timeoutMs: 90_000 });
    const output = await sb.readFile(OUTPUT);
    const results = JSON.parse(output) as Record<string, string>;
    const failed = Object.entries(results).filter(([, r]) => r !== 'ok');
    expect(failed, output).toEqual([]);
    expect(Object.keys(results)).toHaveLength(10);
    expect(started.exitCode, started.stderr).toBe(0);
  });

  it('configures the memory cap and the state directory as shipped', async () => {
    const props = await unitProperties(sb, PROBE_UNIT, ['MemoryMax', 'StateDirectoryMode', 'ProtectSystem', 'ProtectHome', 'PrivateTmp', 'NoNewPrivileges']);
    expect(props).toEqual({
      MemoryMax: String(128 * 1024 * 1024),
      StateDirectoryMode: '0700',
      ProtectSystem: 'strict',
      ProtectHome: 'read-only',
      PrivateTmp: 'yes',
      NoNewPrivileges: 'yes',
    });
  });
});
