import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { codecs, memoryLogger } from '@sitrep/schemas';
import { createMetricsCollector, type MetricsCollectorOptions } from '../../src/collectors/proc-metrics.js';
import type { FsStats } from '../../src/collectors/disk-usage.js';

const FIXTURES = new URL('../fixtures/', import.meta.url).pathname;

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fake procfs from the fixtures: stat, meminfo, loadavg, uptime, net/dev, self/mounts, pids. */
function fakeProc(): string {
  const root = mkdtempSync(join(tmpdir(), 'sitrep-proc-'));
  dirs.push(root);
  const f = (name: string) => join(FIXTURES, 'proc', name);
  cpSync(f('stat.1'), join(root, 'stat'));
  cpSync(f('meminfo'), join(root, 'meminfo'));
  cpSync(f('loadavg'), join(root, 'loadavg'));
  cpSync(f('uptime'), join(root, 'uptime'));
  mkdirSync(join(root, 'net'));
  cpSync(f('net-dev.1'), join(root, 'net/dev'));
  mkdirSync(join(root, 'self'));
  cpSync(f('mounts'), join(root, 'self/mounts'));
  for (const pid of ['1', '42', '1337']) mkdirSync(join(root, pid));
  return root;
}

const enoent = (path: string) => Object.assign(new Error(`ENOENT: no such file or directory, statfs '${path}'`), { code: 'ENOENT' });

/** statfs answers for the fixture mounts; anything else is ENOENT like an unmounted path. */
const STATS: Record<string, FsStats> = {
  '/': { bsize: 4096, blocks: 1000, bfree: 400, bavail: 300 },
  '/boot/efi': { bsize: 512, blocks: 2000, bfree: 1000, bavail: 1000 },
  '/mnt/backup disk': { bsize: 4096, blocks: 500, bfree: 500, bavail: 500 },
  '/srv/backups/bind-of-disk': { bsize: 4096, blocks: 500, bfree: 500, bavail: 500 },
  '/mnt/media': { bsize: 1048576, blocks: 100, bfree: 10, bavail: 10 },
  '/mnt/tab\tand\\slash': { bsize: 4096, blocks: 10, bfree: 0, bavail: 0 },
  '/mnt/empty': { bsize: 4096, blocks: 0, bfree: 0, bavail: 0 },
  '/data': { bsize: 4096, blocks: 100, bfree: 50, bavail: 50 },
};

function setup(extra: Partial<MetricsCollectorOptions> = {}) {
  const procRoot = fakeProc();
  const log = memoryLogger('metrics');
  let t = 1_700_000_000_000;
  const statfsCalls: string[] = [];
  const collector = createMetricsCollector({
    procRoot,
    sysRoot: join(FIXTURES, 'sys'),
    now: () => t,
    log,
    statfs: async (path) => {
      statfsCalls.push(path);
      const st = STATS[path];
      if (st === undefined) throw enoent(path);
      return st;
    },
    ...extra,
  });
  return {
    procRoot,
    log,
    statfsCalls,
    collect: () => collector.collect('web-1'),
    advance: (ms: number) => (t += ms),
    write: (file: string, fixture: string) => cpSync(join(FIXTURES, 'proc', fixture), join(procRoot, file)),
  };
}

describe('createMetricsCollector on a fixture /proc and /sys', () => {
  it('produces a snapshot valid against the contract', async () => {
    const s = setup();
    const first = await s.collect();
    expect(codecs.metrics.problem(first)).toBeNull();
    s.advance(10_000);
    s.write('stat', 'stat.2');
    s.write('net/dev', 'net-dev.2');
    const second = await s.collect();
    expect(codecs.metrics.problem(second)).toBeNull();
    expect(second).toMatchObject({ v: 1, node: 'web-1', ts: 1_700_000_010_000 });
  });

  it('computes CPU since boot first, then from the deltas of /proc/stat, guest time not counted twice', async () => {
    const s = setup();
    // stat.1: total 10000 jiffies, 8500 idle+iowait → 15% busy since boot.
    expect((await s.collect()).cpu).toEqual({ percent: 15, cores: [18, 12] });
    s.write('stat', 'stat.2');
    // Deltas: all 1500 total / 700 idle → 53.3%; cpu0 700/100 → 85.7%; cpu1 800/600 → 25%.
    expect((await s.collect()).cpu).toEqual({ percent: 53.3, cores: [85.7, 25] });
    // Nothing elapsed between two samples: 0, not NaN.
    expect((await s.collect()).cpu).toEqual({ percent: 0, cores: [0, 0] });
  });

  it('reads memory and swap from meminfo, in bytes', async () => {
    const m = (await setup().collect()).memory;
    expect(m).toEqual({
      total: 16_384_000 * 1024,
      available: 8_192_000 * 1024,
      used: 8_192_000 * 1024,
      percent: 50,
      swapTotal: 2_097_152 * 1024,
      swapUsed: 1_048_576 * 1024,
    });
  });

  it('estimates available memory on kernels without MemAvailable', async () => {
    const s = setup();
    writeFileSync(join(s.procRoot, 'meminfo'), 'MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 250 kB\n');
    expect((await s.collect()).memory).toEqual({ total: 1_024_000, available: 409_600, used: 614_400, percent: 60 });
  });

  it('reads load, uptime and counts processes as the numeric directories of /proc', async () => {
    const m = await setup().collect();
    expect(m.load).toEqual([0.52, 0.58, 0.59]);
    expect(m.uptime).toBe(12346);
    // 1, 42 and 1337; not self, net, or the 1234 tasks of loadavg's 4th field.
    expect(m.processes).toBe(3);
  });

  it('lists real filesystems once each, root first, pseudo ones skipped, escapes decoded', async () => {
    const s = setup();
    const m = await s.collect();
    expect(m.disks.map((d) => [d.mount, d.fs])).toEqual([
      ['/', 'ext4'],
      ['/boot/efi', 'vfat'],
      ['/data', 'xfs'], // mounted twice: the later mount is the visible one
      ['/mnt/backup disk', 'ext4'], // \040; its bind mount on /srv/backups/bind-of-disk is the same device
      ['/mnt/media', 'nfs4'],
      ['/mnt/tab\tand\\slash', 'xfs'], // \011 and \134
    ]);
    // Like df: used excludes the reserve, percent = used / (used + available).
    expect(m.disks[0]).toEqual({ mount: '/', fs: 'ext4', size: 4_096_000, used: 2_457_600, available: 1_228_800, percent: 66.7 });
    expect(m.disks.find((d) => d.mount === '/mnt/tab\tand\\slash')).toMatchObject({ percent: 100, available: 0 });
    // No statfs for pseudo filesystems or the bind mount.
    expect(s.statfsCalls.sort()).toEqual(['/', '/boot/efi', '/data', '/mnt/backup disk', '/mnt/empty', '/mnt/gone', '/mnt/media', '/mnt/tab\tand\\slash']);
    // A size-0 filesystem is skipped quietly, an ENOENT one with a warning, once.
    expect(s.log.lines.filter((l) => l.includes('/mnt/gone'))).toEqual([
      expect.stringMatching(/warn metrics part left out of the snapshot part="disk \/mnt\/gone" reason="statfs failed: ENOENT"/),
    ]);
    await s.collect();
    expect(s.log.lines.filter((l) => l.includes('/mnt/gone'))).toHaveLength(1);
  });

  it('leaves out a filesystem whose statfs hangs, and does not ask it again while it is pending', async () => {
    const hung: string[] = [];
    let release: (st: FsStats) => void = () => undefined;
    const s = setup({
      statfsTimeoutMs: 50,
      statfs: async (path) => {
        if (path === '/mnt/media') {
          hung.push(path);
          return new Promise<FsStats>((resolve) => (release = resolve));
        }
        const st = STATS[path];
        if (st === undefined) throw enoent(path);
        return st;
      },
    });
    const started = performance.now();
    const first = await s.collect();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(first.disks.map((d) => d.mount)).not.toContain('/mnt/media');
    expect(first.disks.map((d) => d.mount)).toContain('/');
    expect(s.log.lines.join('\n')).toMatch(/part="disk \/mnt\/media" reason="statfs took longer than 50 ms"/);

    await s.collect();
    expect(hung).toHaveLength(1); // still pending: not called again

    release(STATS['/']!);
    await new Promise((r) => setImmediate(r));
    const third = await s.collect();
    expect(hung).toHaveLength(2);
    expect(third.disks.map((d) => d.mount)).not.toContain('/mnt/media'); // the new call hangs again
  });

  it('omits network in the first snapshot, then reports rates, with counter resets and interfaces coming and going', async () => {
    const s = setup();
    expect((await s.collect()).network).toBeUndefined();
    s.advance(10_000);
    s.write('net/dev', 'net-dev.2');
    expect((await s.collect()).network).toEqual({
      // eth0 +100000/+100000 over 10 s; wlan0 rx went backwards (reset) → 0, tx +500 → 50;
      // docker0 is gone; vethabcdef012345 is new (no rate yet); lo never counts.
      rxBytesPerSec: 10_000,
      txBytesPerSec: 10_050,
      interfaces: [
        { name: 'eth0', rxBytesPerSec: 10_000, txBytesPerSec: 10_000 },
        { name: 'wlan0', rxBytesPerSec: 0, txBytesPerSec: 50 },
      ],
    });
    s.advance(5_000);
    const third = await s.collect();
    expect(third.network?.interfaces.map((i) => i.name)).toEqual(['eth0', 'wlan0', 'vethabcdef012345']);
    expect(third.network?.rxBytesPerSec).toBe(0);
  });

  it('leaves network out (with one warning) when /proc/net/dev cannot be read', async () => {
    const s = setup();
    rmSync(join(s.procRoot, 'net'), { recursive: true });
    await s.collect();
    s.advance(10_000);
    const m = await s.collect();
    expect(m.network).toBeUndefined();
    expect(codecs.metrics.problem(m)).toBeNull();
    expect(s.log.lines.filter((l) => l.includes('part=network'))).toHaveLength(1);
  });

  it('reads hwmon sensors with names and labels, and thermal zones not already seen as hwmon', async () => {
    const m = await setup().collect();
    expect(m.temperatures).toEqual([
      { sensor: 'coretemp Package id 0', celsius: 54 },
      { sensor: 'coretemp Core 0', celsius: 51.5 },
      { sensor: 'nvme Composite', celsius: 38.9 },
      { sensor: 'acpitz temp1', celsius: 27.8 },
      { sensor: 'x86_pkg_temp', celsius: 55 }, // thermal_zone0 (acpitz) is the hwmon2 sensor again
    ]);
  });

  it('omits temperatures when the host has no sensors', async () => {
    const emptySys = mkdtempSync(join(tmpdir(), 'sitrep-sys-'));
    dirs.push(emptySys);
    const s = setup({ sysRoot: emptySys });
    const m = await s.collect();
    expect(m).not.toHaveProperty('temperatures');
    expect(s.log.lines).toEqual([expect.stringContaining('/mnt/gone')]);
  });

  it('fails the snapshot with a coded error when a required file is missing', async () => {
    const s = setup();
    rmSync(join(s.procRoot, 'meminfo'));
    await expect(s.collect()).rejects.toMatchObject({ name: 'MetricsError', code: 'PROC_READ_FAILED', message: expect.stringContaining('meminfo') });
    writeFileSync(join(s.procRoot, 'meminfo'), 'nothing useful\n');
    await expect(s.collect()).rejects.toMatchObject({ code: 'PROC_PARSE_FAILED' });
  });
});

describe('createMetricsCollector on this host', () => {
  it('reads the real /proc and /sys twice and both snapshots are valid', async () => {
    const log = memoryLogger('metrics');
    const collector = createMetricsCollector({ log });
    const first = await collector.collect('this-host');
    expect(codecs.metrics.problem(first)).toBeNull();
    expect(first.network).toBeUndefined();
    await new Promise((r) => setTimeout(r, 200));
    const second = await collector.collect('this-host');
    expect(codecs.metrics.problem(second)).toBeNull();
    expect(second.disks[0]?.mount).toBe('/');
    expect(second.memory.total).toBeGreaterThan(0);
    expect(second.processes).toBeGreaterThan(0);
    expect(second.network).toBeDefined();
    expect(second.cpu.cores?.length).toBeGreaterThan(0);
  });
});
