/**
 * `sitrep broker` and `sitrep projector` as separate child processes, for fault injection: each can
 * be killed with SIGKILL and started again on the same port and files, as a crash and a systemd
 * restart would do.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { SITREP_BIN } from './hub-process.js';

export interface Child {
  child: ResultPromise;
  output: () => string;
  /** SIGKILL, and wait until the process is gone. */
  kill9(): Promise<void>;
  /** SIGTERM (a clean stop), and wait for the exit. */
  stop(): Promise<void>;
}

/** A loopback port free right now (to restart a broker on the same port, the port must be fixed). */
export { freePort } from '@sitrep/broker/testing';

function spawn(args: string[], ready: RegExp, what: string, timeoutMs = 30_000): Promise<Child> {
  const child = execa('node', [SITREP_BIN, ...args], { all: true, reject: false, env: { NODE_ENV: 'test' } });
  let out = '';
  child.all?.setEncoding('utf8');
  child.all?.on('data', (chunk: string) => (out += chunk));
  const handle: Child = {
    child,
    output: () => out,
    async kill9() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await child;
    },
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await child;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} not ready within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const check = () => {
      if (!ready.test(out)) return;
      clearTimeout(timer);
      child.all?.off('data', check);
      resolve(handle);
    };
    child.all?.on('data', check);
    void child.then((r) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${r.exitCode} before it was ready:\n${out}`));
    });
  });
}

export function startBrokerChild(o: { dataDir: string; port: number; args?: string[] }): Promise<Child> {
  return spawn(['broker', '--data', o.dataDir, '--mqtt-port', String(o.port), '--http-port', '0', ...(o.args ?? [])], /listening/, 'sitrep broker');
}

export function startProjectorChild(o: { url: string; username: string; password: string; dbPath: string; dir: string }): Promise<Child> {
  const passwordFile = join(o.dir, `${o.username}.password`);
  writeFileSync(passwordFile, `${o.password}\n`, { mode: 0o600 });
  return spawn(['projector', '--broker', o.url, '--username', o.username, '--password-file', passwordFile, '--db', o.dbPath], /consuming/, 'sitrep projector');
}
