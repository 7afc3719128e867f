/**
 * Host and OS inventory for the birth, collected once per agent start from /etc/os-release,
 * /proc/net/route and node:os: no library and no child process, which keeps the agent small.
 */
import { readFileSync } from 'node:fs';
import { arch, hostname, networkInterfaces, platform, release, uptime } from 'node:os';
import type { Birth } from '@sitrep/schemas';

function readFirst(paths: readonly string[]): string | null {
  for (const path of paths) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      continue; // Not on this system (containers, other distributions): try the next one.
    }
  }
  return null;
}

function readMachineId(): string | null {
  const id = readFirst(['/etc/machine-id', '/var/lib/dbus/machine-id'])?.trim() ?? '';
  return /^[0-9a-f]{32}$/.test(id) ? id : null;
}

/** NAME and VERSION_ID (or VERSION) of os-release(5); quotes removed. */
export function parseOsRelease(text: string): { distro: string; release: string } {
  const fields = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) fields.set(m[1]!, m[2]!.replace(/^["']|["']$/g, ''));
  }
  return { distro: fields.get('NAME') ?? '', release: fields.get('VERSION_ID') ?? fields.get('VERSION') ?? '' };
}

/** The interface of the default route in /proc/net/route (destination 00000000), if any. */
export function defaultRouteInterface(routes: string): string | null {
  for (const line of routes.split('\n').slice(1)) {
    const [iface, destination, , , , , , mask] = line.trim().split(/\s+/);
    if (iface !== undefined && destination === '00000000' && (mask === undefined || mask === '00000000')) return iface;
  }
  return null;
}

export async function collectHostInfo(now: () => number = Date.now): Promise<Birth['host']> {
  const os = parseOsRelease(readFirst(['/etc/os-release', '/usr/lib/os-release']) ?? '');
  const ifaces = networkInterfaces();
  const routed = defaultRouteInterface(readFirst(['/proc/net/route']) ?? '');
  const name = routed ?? Object.keys(ifaces).find((n) => ifaces[n]?.some((a) => !a.internal)) ?? null;
  const addresses = (name === null ? [] : (ifaces[name] ?? [])).filter((a) => !a.internal);
  const mac = addresses.find((a) => a.mac !== '00:00:00:00:00:00')?.mac ?? null;
  return {
    hostname: hostname(),
    platform: platform(),
    distro: os.distro || platform(),
    release: os.release,
    kernel: release(),
    arch: arch(),
    machineId: readMachineId(),
    bootTime: Math.round(now() - uptime() * 1000),
    ips: addresses.map((a) => a.address).slice(0, 64),
    mac,
  };
}
