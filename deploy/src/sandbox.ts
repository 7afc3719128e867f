/**
 * A real systemd (Debian 12) booted with systemd-nspawn, for tests of units and installers:
 * TypeScript over deploy/sandbox/systemd-sandbox.sh. Every sandbox gets its own machine name, so
 * any number run side by side (the rootfs is shared read-only, writes go to a tmpfs overlay) and
 * none ever touches someone else's. The container shares the host's network namespace: a broker
 * the test binds on 127.0.0.1 is reachable from inside at the same URL. The repository is
 * bind-mounted read-only at its host path, the host's node at /usr/local/bin/node.
 *
 * First use on a machine installs systemd-container and debootstrap and builds the rootfs
 * (~45-90 s, once, cached in SDT_DIR, default /tmp/sdtest); after that a boot takes about 1 s.
 */
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { REPO_ROOT, SANDBOX_SCRIPT } from './paths.js';

export class SandboxError extends Error {
  readonly code = 'SANDBOX_FAILED';
}

export interface ExecOptions {
  /** Written to the command's standard input (then closed). */
  input?: string | Buffer;
  /** Extra environment inside (the command otherwise gets a clean PATH, LANG and HOME only). */
  env?: Record<string, string>;
  /** Kill the command after this long; default 60 s. */
  timeoutMs?: number;
  /** Resolve with a non-zero exit instead of throwing. */
  allowFailure?: boolean;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface SandboxTimings {
  /** Checking (or installing) systemd-container and debootstrap. */
  depsMs: number;
  /** Checking (or debootstrapping) the rootfs. */
  buildMs: number;
  /** Boot to `systemctl is-system-running` = running|degraded. */
  upMs: number;
}

export interface Sandbox {
  /** Machine name (also the container's cgroup `sdt-<name>` on the host). */
  readonly name: string;
  /** PID of the container's systemd, as the host sees it. */
  readonly leaderPid: number;
  readonly timings: SandboxTimings;
  /** Run `argv` inside (all namespaces of the container); never through a shell. */
  exec(argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Create or replace a file inside (parents created), mode default 0644. */
  writeFile(pathInside: string, content: string | Buffer, mode?: number): Promise<void>;
  readFile(pathInside: string): Promise<string>;
  /** Clean shutdown (SIGKILL fallback); idempotent. */
  stop(): Promise<void>;
}

export interface SandboxOptions {
  /** Unique by default (`sitrep-t<pid>-<random>`); `sitrep-sdtest` is the shared manual one. */
  name?: string;
  /** Rootfs cache and run dirs; default $SDT_DIR or /tmp/sdtest. */
  dir?: string;
  /** Hard cap: the container is killed after this long even if the test process died. Default 1200. */
  lifetimeSec?: number;
  /** Host directory bind-mounted read-only at the same path; default the repository. */
  project?: string;
}

const SYSTEM_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

function onPath(command: string): boolean {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), ...SYSTEM_PATH].filter((d) => d !== '');
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false; // Not in this directory: keep looking.
    }
  });
}

/** Why sandboxes cannot run here, or null when they can. Cheap and synchronous, for `skipIf`. */
export function sandboxUnavailable(): string | null {
  if (process.env['SITREP_SKIP_SANDBOX'] !== undefined && process.env['SITREP_SKIP_SANDBOX'] !== '') return 'SITREP_SKIP_SANDBOX is set';
  if (process.platform !== 'linux') return `systemd-nspawn needs Linux, this is ${process.platform}`;
  if (process.getuid?.() !== 0) return 'not running as root (systemd-nspawn needs root)';
  for (const tool of ['bash', 'nsenter', 'setsid', 'flock', 'timeout', 'pgrep']) {
    if (!onPath(tool)) return `${tool} is missing`;
  }
  const missing = ['systemd-nspawn', 'debootstrap'].filter((t) => !onPath(t));
  if (missing.length > 0 && !onPath('apt-get')) return `${missing.join(' and ')} missing and no apt-get to install them`;
  if (!existsSync('/sys/fs/cgroup/cgroup.controllers') && !existsSync('/sys/fs/cgroup/unified')) {
    return 'no cgroup v2 hierarchy (/sys/fs/cgroup or /sys/fs/cgroup/unified)';
  }
  return null;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const reason = sandboxUnavailable();
  if (reason !== null) throw new SandboxError(`cannot start a sandbox: ${reason}`);
  const name = opts.name ?? `sitrep-t${process.pid}-${randomBytes(3).toString('hex')}`;
  const env = {
    SDT_DIR: opts.dir ?? process.env['SDT_DIR'] ?? '/tmp/sdtest',
    SDT_NAME: name,
    SDT_PROJECT: opts.project ?? REPO_ROOT.replace(/\/$/, ''),
    SDT_LIFETIME: String(opts.lifetimeSec ?? 1200),
  };
  const script = async (args: string[], timeoutMs: number, input?: string | Buffer) =>
    execa('bash', [SANDBOX_SCRIPT, ...args], { env, extendEnv: true, reject: false, timeout: timeoutMs, input, stripFinalNewline: false });
  const step = async (cmd: 'deps' | 'build' | 'up', timeoutMs: number) => {
    const t0 = performance.now();
    const r = await script([cmd], timeoutMs);
    if (r.exitCode !== 0) {
      const why = r.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${r.exitCode ?? r.signal}`;
      throw new SandboxError(`systemd-sandbox.sh ${cmd} (${name}) failed, ${why}:\n${r.stderr}${r.stdout}`);
    }
    return { ms: Math.round(performance.now() - t0), stdout: r.stdout };
  };

  const deps = await step('deps', 600_000);
  const built = await step('build', 900_000);
  const bootOnce = () =>
    step('up', 90_000).catch(async (err: unknown) => {
      // A half-started container (nspawn up, boot stuck) must not outlive the failure.
      await script(['down'], 60_000);
      throw err;
    });
  // The sandbox script gives the boot 30 s; a machine busy with the rest of the suite has missed
  // that once with the container's boot complete on its console: one more boot, then the error.
  const up = await bootOnce().catch((err: unknown) => {
    if (err instanceof SandboxError && err.message.includes('boot did not finish')) return bootOnce();
    throw err;
  });
  const leaderPid = Number(up.stdout.trim().split('\n').at(-1));
  if (!Number.isSafeInteger(leaderPid) || leaderPid <= 1) throw new SandboxError(`systemd-sandbox.sh up printed no leader PID: ${up.stdout}`);

  let stopped = false;
  const sandbox: Sandbox = {
    name,
    leaderPid,
    timings: { depsMs: deps.ms, buildMs: built.ms, upMs: up.ms },
    async exec(argv, o = {}) {
      if (stopped) throw new SandboxError(`sandbox ${name} is stopped`);
      if (argv.length === 0 || argv[0] === '') throw new SandboxError('exec needs a command');
      const envArgs = Object.entries(o.env ?? {}).map(([k, v]) => {
        if (!ENV_NAME.test(k)) throw new SandboxError(`not an environment variable name: ${JSON.stringify(k)}`);
        return `${k}=${v}`;
      });
      const full = envArgs.length > 0 ? ['env', ...envArgs, ...argv] : [...argv];
      const timeoutMs = o.timeoutMs ?? 60_000;
      const r = await script(['exec', ...full], timeoutMs, o.input);
      const result = { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode ?? -1 };
      if (r.timedOut) throw new SandboxError(`${JSON.stringify(argv)} in ${name} timed out after ${timeoutMs} ms\n${r.stderr}`);
      if (result.exitCode !== 0 && o.allowFailure !== true) {
        throw new SandboxError(`${JSON.stringify(argv)} in ${name} exited ${result.exitCode}:\n${r.stderr}${r.stdout}`);
      }
      return result;
    },
    async writeFile(pathInside, content, mode = 0o644) {
      if (!pathInside.startsWith('/')) throw new SandboxError(`not an absolute path: ${pathInside}`);
      // The path and mode travel as arguments; the shell text is constant.
      const put = 'umask 077 && mkdir -p -- "$(dirname -- "$1")" && cat >"$1" && chmod "$2" -- "$1"';
      await sandbox.exec(['sh', '-c', put, 'sh', pathInside, mode.toString(8)], { input: content });
    },
    async readFile(pathInside) {
      return (await sandbox.exec(['cat', '--', pathInside])).stdout;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const r = await script(['down'], 60_000);
      if (r.exitCode !== 0) throw new SandboxError(`systemd-sandbox.sh down (${name}) failed:\n${r.stderr}`);
    },
  };
  return sandbox;
}
