/** Host and OS inventory for the birth: collected once per agent start. */
import { readFileSync } from 'node:fs';
import { arch, hostname, platform, release, uptime } from 'node:os';
import si from 'systeminformation';
import type { Birth } from '@sitrep/schemas';

function readMachineId(): string | null {
  for (const path of ['/etc/machine-id', '/var/lib/dbus/machine-id']) {
    try {
      const id = readFileSync(path, 'utf8').trim();
      if (/^[0-9a-f]{32}$/.test(id)) return id;
    } catch {
      // Not present on this system (containers, non-systemd hosts): try the next location.
    }
  }
  return null;
}

export async function collectHostInfo(now: () => number = Date.now): Promise<Birth['host']> {
  const [os, ifaces, defaultIface] = await Promise.all([
    si.osInfo(),
    si.networkInterfaces().then((r) => (Array.isArray(r) ? r : [r])),
    si.networkInterfaceDefault().catch(() => ''),
  ]);
  const primary = ifaces.find((i) => i.iface === defaultIface) ?? ifaces.find((i) => !i.internal && i.ip4 !== '');
  const ips = primary === undefined ? [] : [primary.ip4, primary.ip6].filter((ip) => ip !== '');
  return {
    hostname: hostname(),
    platform: platform(),
    distro: os.distro || platform(),
    release: os.release || '',
    kernel: os.kernel || release(),
    arch: arch(),
    machineId: readMachineId(),
    bootTime: Math.round(now() - uptime() * 1000),
    ips,
    mac: primary?.mac ? primary.mac : null,
  };
}
