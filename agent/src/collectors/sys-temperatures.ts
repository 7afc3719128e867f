/**
 * Temperatures from sysfs: hwmon sensors (/sys/class/hwmon/hwmonN/tempM_input, with `name` and
 * `tempM_label`, Documentation/hwmon/sysfs-interface.rst) and thermal zones
 * (/sys/class/thermal/thermal_zoneN/temp, with `type`). Both report millidegrees Celsius.
 *
 * Reads are asynchronous, unlike procfs: a sensor read can be a slow bus transaction (I2C, ACPI
 * methods) and a broken driver can block, which must not stall the agent's event loop.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';

export interface Temperature {
  sensor: string;
  celsius: number;
}

interface Sensor {
  sensor: string;
  input: string;
}

/** Errors that mean "no value here now", not "something is wrong with the agent". */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENODATA', 'EIO', 'ENXIO', 'EAGAIN', 'EINVAL', 'ENODEV', 'EOPNOTSUPP']);

/** File text, or null when the file is absent or the driver has no value now; other errors throw. */
async function readOptional(path: string): Promise<string | null> {
  try {
    return (await fsp.readFile(path, 'latin1')).trim();
  } catch (err) {
    if (ABSENT.has((err as NodeJS.ErrnoException).code ?? '')) return null;
    throw err;
  }
}

async function listOptional(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    // No hwmon or thermal class at all: containers, VMs, some ARM boards.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

const VANISHED = Symbol('vanished');

/**
 * °C with one decimal; null when the driver has no value now (some channels answer ENODATA or
 * EIO for good, so that alone must not trigger a rediscovery); VANISHED when the file is gone.
 */
async function readInput(path: string): Promise<number | null | typeof VANISHED> {
  try {
    const milli = Number.parseInt(await fsp.readFile(path, 'latin1'), 10);
    return Number.isFinite(milli) ? Math.round(milli / 100) / 10 : null;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'ENOENT' || code === 'ENODEV') return VANISHED;
    if (ABSENT.has(code)) return null;
    throw err;
  }
}

const numericSuffix = (s: string) => Number(/(\d+)$/.exec(s)?.[1] ?? 0);
const byNumber = (a: string, b: string) => numericSuffix(a) - numericSuffix(b);

async function discoverHwmon(sysRoot: string): Promise<{ sensors: Sensor[]; names: Set<string> }> {
  const base = join(sysRoot, 'class/hwmon');
  const sensors: Sensor[] = [];
  const names = new Set<string>();
  for (const hw of (await listOptional(base)).filter((d) => d.startsWith('hwmon')).sort(byNumber)) {
    const dir = join(base, hw);
    const name = (await readOptional(join(dir, 'name'))) || hw;
    names.add(name);
    const inputs = (await listOptional(dir)).filter((f) => /^temp\d+_input$/.test(f));
    for (const input of inputs.sort((a, b) => numericSuffix(a.replace('_input', '')) - numericSuffix(b.replace('_input', '')))) {
      const n = input.slice(0, -'_input'.length);
      const label = (await readOptional(join(dir, `${n}_label`))) || n;
      sensors.push({ sensor: `${name} ${label}`, input: join(dir, input) });
    }
  }
  return { sensors, names };
}

/**
 * Thermal zones whose type is also a hwmon name are the same sensor seen twice (the thermal core
 * registers a hwmon device per zone, e.g. acpitz), so they are left out.
 */
async function discoverThermal(sysRoot: string, hwmonNames: Set<string>): Promise<Sensor[]> {
  const base = join(sysRoot, 'class/thermal');
  const sensors: Sensor[] = [];
  for (const zone of (await listOptional(base)).filter((d) => d.startsWith('thermal_zone')).sort(byNumber)) {
    const type = (await readOptional(join(base, zone, 'type'))) || zone;
    if (hwmonNames.has(type)) continue;
    sensors.push({ sensor: type, input: join(base, zone, 'temp') });
  }
  return sensors;
}

/** Distinct names: two zones of the same type become "acpitz", "acpitz #2". */
function uniqueNames(sensors: Sensor[]): Sensor[] {
  const count = new Map<string, number>();
  return sensors.map((s) => {
    const n = (count.get(s.sensor) ?? 0) + 1;
    count.set(s.sensor, n);
    return n === 1 ? s : { ...s, sensor: `${s.sensor} #${n}` };
  });
}

export interface TemperatureReader {
  /** Current readings, or an empty list when the host has no sensors. */
  read(): Promise<Temperature[]>;
}

/**
 * Discovery (directory listings, names, labels) is cached: sensors rarely come and go. It is
 * redone every `rediscoverEvery` reads, and at the next read after a sensor file vanished.
 */
export function createTemperatureReader(sysRoot: string, rediscoverEvery = 60): TemperatureReader {
  let sensors: Sensor[] | null = null;
  let reads = 0;
  return {
    async read() {
      if (sensors === null || reads % rediscoverEvery === 0) {
        const hwmon = await discoverHwmon(sysRoot);
        sensors = uniqueNames([...hwmon.sensors, ...(await discoverThermal(sysRoot, hwmon.names))]);
      }
      reads++;
      const current = sensors;
      const values = await Promise.all(current.map((s) => readInput(s.input)));
      const out: Temperature[] = [];
      values.forEach((value, i) => {
        if (value === VANISHED) reads = 0; // unplugged (USB, NVMe hot-swap) or driver reloaded: look again next time
        else if (value !== null) out.push({ sensor: current[i]!.sensor.slice(0, 128), celsius: value });
      });
      return out.slice(0, 256);
    },
  };
}
