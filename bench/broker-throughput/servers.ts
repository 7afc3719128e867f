/**
 * The brokers under test, each a child process on a free loopback port with the same users:
 * `sitrep broker` with its SQLite persistence (the default), `sitrep broker --broker-memory`,
 * and Mosquitto (the reference) with a password file. Broker CPU is read from /proc.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IdentityStore } from '@sitrep/broker';
import type { Role } from '@sitrep/schemas/config';

const SITREP = fileURLToPath(new URL('../../cli/bin/sitrep.js', import.meta.url));
const MOSQUITTO = '/usr/sbin/mosquitto';
const CLOCK_TICKS_PER_S = 100; // USER_HZ on Linux

export type BrokerKind = 'mosquitto' | 'aedes-memory' | 'aedes-sqlite';

export interface User {
  username: string;
  password: string;
  role: Role;
  node?: string;
}

export interface RunningServer {
  kind: BrokerKind;
  port: number;
  pid: number;
  /** CPU seconds (user + system) the broker process has used so far. */
  cpuSeconds(): number;
  /** Resident set size, bytes. */
  rssBytes(): number;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
export function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
}

export function mosquittoAvailable(): string | null {
  const r = spawnSync(MOSQUITTO, ['-h'], { encoding: 'utf8' });
  if (r.error) return `${MOSQUITTO} not runnable (${r.error.message}); install the Debian package: apt-get install -y mosquitto`;
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function procStat(pid: number): string[] {
  const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name, which may contain spaces.
  return raw.slice(raw.lastIndexOf(')') + 2).split(' ');
}

function observe(kind: BrokerKind, child: ChildProcess, port: number): RunningServer {
  const pid = child.pid!;
  return {
    kind,
    port,
    pid,
    cpuSeconds() {
      const f = procStat(pid); // utime and stime are fields 14 and 15, i.e. 11 and 12 here
      return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_S;
    },
    rssBytes() {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      live.delete(child);
    },
  };
}

function waitForOutput(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = pattern.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}:\n${output}`));
    });
  });
}

/** `sitrep broker` on free ports with `users` in its identity store. */
export async function startAedes(kind: 'aedes-memory' | 'aedes-sqlite', dir: string, users: readonly User[]): Promise<RunningServer> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const store = IdentityStore.open(join(dir, 'identities.json'));
  // scrypt per user: add them a few at a time so the threadpool stays busy.
  for (let i = 0; i < users.length; i += 8) {
    await Promise.all(users.slice(i, i + 8).map((u) => store.add(u.username, u.role, { password: u.password, ...(u.node ? { node: u.node } : {}) })));
  }
  const args = [SITREP, 'broker', '--data', dir, '--mqtt-port', '0', '--http-port', '0'];
  if (kind === 'aedes-memory') args.push('--broker-memory');
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  const m = await waitForOutput(child, /listening mqtt=127\.0\.0\.1:(\d+)/, kind);
  return observe(kind, child, Number(m[1]));
}

/**
 * Started as root, mosquitto switches to the `mosquitto` user before it reads its password file
 * and writes its persistence: give it its directory, and let it traverse the parent.
 */
function handToMosquittoUser(dir: string, files: string[]): void {
  if (process.getuid?.() !== 0) return;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'mosquitto'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || uid <= 0) return;
  chmodSync(dirname(dir), 0o711);
  for (const path of [dir, ...files]) chownSync(path, uid, gid);
}

/** Mosquitto on a free loopback port, same users, queue bound equal to sitrep's default. */
export async function startMosquitto(dir: string, users: readonly User[]): Promise<RunningServer> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const passwd = join(dir, 'passwd');
  writeFileSync(passwd, users.map((u) => `${u.username}:${u.password}\n`).join(''), { mode: 0o600 });
  const hashed = spawnSync('/usr/bin/mosquitto_passwd', ['-U', passwd], { encoding: 'utf8' });
  if (hashed.status !== 0) throw new Error(`mosquitto_passwd failed: ${hashed.stderr}`);
  handToMosquittoUser(dir, [passwd]);
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous false',
      `password_file ${passwd}`,
      'max_queued_messages 100000',
      'persistence true',
      `persistence_location ${dir}/`,
      'log_dest stderr',
      '',
    ].join('\n'),
  );
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  await waitForOutput(child, /mosquitto version [\d.]+ running/, 'mosquitto');
  return observe('mosquitto', child, port);
}
