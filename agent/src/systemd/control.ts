/** start / stop / restart of a unit: `systemctl` with an argument array, never a shell string. */
import { execFile } from 'node:child_process';

export type UnitAction = 'start' | 'stop' | 'restart';

export interface ActionResult {
  ok: boolean;
  message: string;
}

export function runUnitAction(action: UnitAction, unit: string, timeoutMs = 90_000): Promise<ActionResult> {
  return new Promise((resolve) => {
    // `--` ends options, so a unit name can never be read as one.
    execFile('systemctl', [action, '--no-ask-password', '--', unit], { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' } }, (err, _stdout, stderr) => {
      if (err === null) resolve({ ok: true, message: `${action} ${unit}: done` });
      else if (err.killed) resolve({ ok: false, message: `${action} ${unit}: no answer from systemctl within ${Math.round(timeoutMs / 1000)} s` });
      else resolve({ ok: false, message: `${action} ${unit} failed: ${stderr.trim().split('\n')[0] || err.message}` });
    });
  });
}
