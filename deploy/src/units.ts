/** Reading systemd unit state inside a sandbox: `systemctl show` properties, and waiting on them. */
import { SandboxError, type Sandbox } from './sandbox.js';

/** `systemctl show UNIT -p NAME...` as a record (values as systemd prints them). */
export async function unitProperties<K extends string>(sb: Sandbox, unit: string, names: readonly K[]): Promise<Record<K, string>> {
  const { stdout } = await sb.exec(['systemctl', 'show', unit, ...names.flatMap((n) => ['-p', n])]);
  const props: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) props[line.slice(0, eq)] = line.slice(eq + 1);
  }
  for (const n of names) {
    if (props[n] === undefined) throw new SandboxError(`systemctl show ${unit} printed no ${n}`);
  }
  return props as Record<K, string>;
}

/**
 * Poll the unit's properties until `accept` holds (systemd has no cheap change feed from outside
 * the container; each poll is one `systemctl show`). Rejects after `timeoutMs` with the last values.
 */
export async function waitForUnit<K extends string>(
  sb: Sandbox,
  unit: string,
  names: readonly K[],
  accept: (props: Record<K, string>) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<Record<K, string>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const props = await unitProperties(sb, unit, names);
    if (accept(props)) return props;
    if (Date.now() > deadline) throw new SandboxError(`timed out after ${timeoutMs} ms waiting for ${unit}: ${what} (last: ${JSON.stringify(props)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
