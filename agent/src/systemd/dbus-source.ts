/**
 * Event-driven unit state from systemd's D-Bus API. We call Manager.Subscribe (systemd sends
 * unit signals on the system bus only while somebody is subscribed), load each watched unit, read
 * its properties once, then merge the values every PropertiesChanged signal carries: no polling.
 * Only low-level calls are used: proxy objects would introspect every unit (an XML parse each).
 */
import { existsSync } from 'node:fs';
import type { Logger } from '@sitrep/schemas';
import { openDbusConnection, socketPathOf } from './dbus/connection.js';
import { MessageType, type Message } from './dbus/wire.js';
import { numberOrNull, type UnitProps } from './unit-props.js';

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const UNIT = 'org.freedesktop.systemd1.Unit';
const PROPERTIES = 'org.freedesktop.DBus.Properties';

/** The interface holding MainPID, NRestarts, Result, MemoryCurrent... depends on the unit type. */
const TYPE_INTERFACE: Record<string, string> = {
  service: 'org.freedesktop.systemd1.Service',
  socket: 'org.freedesktop.systemd1.Socket',
  mount: 'org.freedesktop.systemd1.Mount',
  swap: 'org.freedesktop.systemd1.Swap',
  slice: 'org.freedesktop.systemd1.Slice',
  scope: 'org.freedesktop.systemd1.Scope',
};

type Raw = Record<string, unknown>;

/** The properties toProps reads. */
const WANTED = new Set([
  'Id', 'Description', 'LoadState', 'ActiveState', 'SubState', 'MainPID', 'MemoryCurrent', 'CPUUsageNSec',
  'NRestarts', 'StateChangeTimestamp', 'Result', 'ExecMainCode', 'ExecMainStatus', 'ControlGroup',
]);

export class DbusUnavailableError extends Error {
  readonly code = 'DBUS_UNAVAILABLE';
}

export interface UnitSource {
  readonly kind: 'dbus' | 'poll';
  /** Watch exactly these units (adds and removes); resolves once their properties are known. */
  setUnits(units: readonly string[]): Promise<void>;
  current(unit: string): UnitProps | undefined;
  stop(): Promise<void>;
}

export interface SourceEvents {
  change(unit: string, props: UnitProps): void;
  /** The source broke (bus gone); the watcher falls back. */
  lost(reason: string): void;
}

/** The interfaces hold ~300 properties; keeping every one (50 units) cost megabytes of heap. */
function wantedOnly(raw: Raw): Raw {
  const kept: Raw = {};
  for (const name of WANTED) if (name in raw) kept[name] = raw[name];
  return kept;
}

function toProps(raw: Raw): UnitProps {
  const get = (k: string) => raw[k];
  const num = (k: string) => numberOrNull(get(k) as string | number | bigint | undefined);
  const usec = num('StateChangeTimestamp');
  return {
    id: String(get('Id') ?? ''),
    description: String(get('Description') ?? ''),
    loadState: String(get('LoadState') ?? 'unknown'),
    activeState: String(get('ActiveState') ?? 'unknown'),
    subState: String(get('SubState') ?? 'unknown'),
    mainPid: num('MainPID') || null,
    memoryBytes: num('MemoryCurrent'),
    cpuNsec: num('CPUUsageNSec'),
    restarts: num('NRestarts'),
    stateChangeMs: usec === null || usec === 0 ? null : Math.round(usec / 1000),
    result: String(get('Result') ?? ''),
    execMainCode: num('ExecMainCode') ?? 0,
    execMainStatus: num('ExecMainStatus'),
    controlGroup: (get('ControlGroup') as string | undefined) || null,
  };
}

const SYSTEM_BUS_SOCKET = '/run/dbus/system_bus_socket';

export async function startDbusSource(events: SourceEvents, log: Logger, timeoutMs = 3000): Promise<UnitSource> {
  const address = process.env['DBUS_SYSTEM_BUS_ADDRESS'];
  if (address === undefined && !existsSync(SYSTEM_BUS_SOCKET)) {
    throw new DbusUnavailableError(`no system bus socket at ${SYSTEM_BUS_SOCKET}`);
  }
  let rejectEarly: (err: Error) => void = () => undefined;
  const broken = new Promise<never>((_, reject) => (rejectEarly = reject));
  broken.catch(() => undefined);
  let failed: string | null = null;
  const onSignal: { current(msg: Message): void } = { current: () => undefined };
  const withTimeout = <T>(p: Promise<T>, what: string) =>
    Promise.race([
      p,
      broken,
      new Promise<never>((_, reject) => setTimeout(() => reject(new DbusUnavailableError(`${what} timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
    ]);

  let ready = false;
  const opening = openDbusConnection(address === undefined ? SYSTEM_BUS_SOCKET : socketPathOf(address), {
    signal: (msg) => onSignal.current(msg),
    closed: (reason) => {
      rejectEarly(new Error(reason));
      // Before the source is handed out, the caller gets the error (and falls back) instead.
      if (!ready || failed !== null) return;
      failed = reason;
      events.lost(`system bus: ${reason}`);
    },
  });
  const conn = await withTimeout(opening, 'connecting to the system bus').catch((err: Error) => {
    // A connection that completes after the timeout must not linger.
    opening.then((c) => c.stop(), () => undefined);
    throw new DbusUnavailableError(`system bus unavailable: ${err.message}`);
  });
  const call = async (path: string, iface: string, member: string, args: string[] = []) =>
    (await conn.call({ destination: SYSTEMD, path, interface: iface, member, args })).body;

  try {
    await withTimeout(call(MANAGER_PATH, MANAGER, 'Subscribe'), 'Subscribe');
    await withTimeout(
      conn.call({
        destination: 'org.freedesktop.DBus',
        path: '/org/freedesktop/DBus',
        interface: 'org.freedesktop.DBus',
        member: 'AddMatch',
        args: [`type='signal',sender='${SYSTEMD}',interface='${PROPERTIES}',member='PropertiesChanged',path_namespace='${MANAGER_PATH}/unit'`],
      }),
      'AddMatch',
    );
  } catch (err) {
    conn.stop();
    throw new DbusUnavailableError(`systemd D-Bus API unavailable: ${(err as Error).message}`);
  }

  const byPath = new Map<string, { unit: string; raw: Raw }>();
  const pathOf = new Map<string, string>();

  async function readAll(unit: string, path: string): Promise<Raw> {
    const [unitProps] = (await call(path, PROPERTIES, 'GetAll', [UNIT])) as [Raw];
    const typeIface = TYPE_INTERFACE[unit.slice(unit.lastIndexOf('.') + 1)];
    const typeProps = typeIface === undefined ? {} : ((await call(path, PROPERTIES, 'GetAll', [typeIface]))[0] as Raw);
    return wantedOnly({ ...typeProps, ...unitProps });
  }

  onSignal.current = (msg) => {
    if (msg.type !== MessageType.Signal || msg.member !== 'PropertiesChanged' || msg.path === undefined) return;
    const entry = byPath.get(msg.path);
    if (entry === undefined) return;
    const [, changed, invalidated] = msg.body as [string, Raw, string[]];
    Object.assign(entry.raw, wantedOnly(changed));
    // systemd invalidates (rather than sends) some properties on every change; re-reading all of
    // them each time was most of the agent's CPU on a crash. Only the ones we report matter.
    if (invalidated.some((name) => WANTED.has(name))) {
      // Values not carried by the signal: read them again.
      readAll(entry.unit, msg.path).then(
        (raw) => {
          entry.raw = raw;
          events.change(entry.unit, toProps(raw));
        },
        (err: Error) => log.warn('cannot re-read unit properties', { unit: entry.unit, error: err.message }),
      );
      return;
    }
    events.change(entry.unit, toProps(entry.raw));
  };

  ready = true;
  return {
    kind: 'dbus',
    async setUnits(units) {
      const wanted = new Set(units);
      for (const [unit, path] of pathOf) {
        if (!wanted.has(unit)) {
          pathOf.delete(unit);
          byPath.delete(path);
        }
      }
      for (const unit of wanted) {
        if (pathOf.has(unit)) continue;
        // LoadUnit also answers for units that do not exist (LoadState "not-found").
        const [path] = (await call(MANAGER_PATH, MANAGER, 'LoadUnit', [unit])) as [string];
        const raw = await readAll(unit, path);
        pathOf.set(unit, path);
        byPath.set(path, { unit, raw });
        events.change(unit, toProps(raw));
      }
    },
    current(unit) {
      const path = pathOf.get(unit);
      const entry = path === undefined ? undefined : byPath.get(path);
      return entry === undefined ? undefined : toProps(entry.raw);
    },
    async stop() {
      failed = 'stopped';
      conn.stop();
    },
  };
}
