/**
 * Test kit: a real Mosquitto 2.x (Debian package `mosquitto`) on free loopback ports, with a
 * password file and ACL file, for tests that prove sitrep works unchanged against another broker.
 * `scripts/test.sh` installs the package; without it these tests skip with a visible message.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const CANDIDATES = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'];

/** The mosquitto binary when it is installed and version 2.x, else why not (for the skip message). */
export function findMosquitto(): { path: string } | { missing: string } {
  const path = CANDIDATES.find((p) => existsSync(p));
  if (path === undefined) return { missing: 'mosquitto is not installed (Debian: apt-get install mosquitto; scripts/test.sh does it as root)' };
  const version = spawnSync(path, ['-h'], { encoding: 'utf8' }).stdout;
  if (!/mosquitto version 2\./.test(version)) return { missing: `${path} is not Mosquitto 2.x: ${version.split('\n')[0] ?? ''}` };
  return { path };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface RunningMosquitto {
  url: string;
  pid: number | undefined;
  wsUrl: string;
  output(): string;
  close(): Promise<void>;
}

/** Start Mosquitto with the given password and ACL files; resolves once it listens. */
export async function startMosquitto(opts: { binary: string; dir: string; passwordFile: string; aclFile: string }): Promise<RunningMosquitto> {
  const [port, wsPort] = [await freePort(), await freePort()];
  const conf = join(opts.dir, 'mosquitto-test.conf');
  writeFileSync(
    conf,
    [
      'per_listener_settings false',
      'allow_anonymous false',
      `password_file ${opts.passwordFile}`,
      `acl_file ${opts.aclFile}`,
      // As `sitrep broker export-mosquitto` writes it: the default 1000 drops a fleet's bursts.
      'max_queued_messages 100000',
      'persistence false',
      // Run as root (CI), Mosquitto would switch to user mosquitto and lose access to the 0600
      // files of the test; `user root` keeps the current user. Ignored when not run as root.
      'user root',
      `listener ${port} 127.0.0.1`,
      `listener ${wsPort} 127.0.0.1`,
      'protocol websockets',
      // stderr: Mosquitto's stdout is block-buffered when it is not a terminal.
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(opts.binary, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const collect = (chunk: Buffer) => (out += chunk.toString('utf8'));
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mosquitto did not start within 10 s:\n${out}`)), 10_000);
    const check = () => {
      if (/mosquitto version \S+ running/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`mosquitto exited before it started:\n${out}`));
    });
  });
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: child.pid,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    output: () => out,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
