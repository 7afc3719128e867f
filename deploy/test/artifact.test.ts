/**
 * The single-file agent: built by esbuild, run by plain `node` from a directory with no
 * node_modules anywhere above it, so a missing bundled dependency fails here and not on a host.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAgent, bundleForNode, type BuiltArtifact } from '../src/index.js';

let dir: string;
let built: BuiltArtifact;

/** Run the artifact with a clean environment (no NODE_PATH) from its own directory. */
const run = (args: string[]) =>
  execa(process.execPath, [built.path, ...args], { cwd: dir, reject: false, extendEnv: false, env: { PATH: '/usr/bin:/bin' }, stripFinalNewline: false });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sitrep-artifact-'));
  built = await buildAgent({ outfile: join(dir, 'sitrep-agent.cjs') });
  console.info(`artifact: ${built.bytes} bytes in ${built.ms} ms`);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the agent artifact', () => {
  it('is one executable CommonJS file with a node shebang', () => {
    const text = readFileSync(built.path, 'utf8');
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(built.path.endsWith('.cjs')).toBe(true);
    expect(text).not.toContain('import.meta');
    expect(built.packages).toEqual(expect.arrayContaining(['mqtt', 'yaml', 'zod']));
  });

  it('prints its version and help', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../agent/package.json', import.meta.url), 'utf8')) as { version: string };
    const version = await run(['--version']);
    expect(version).toMatchObject({ exitCode: 0, stdout: `${pkg.version}\n`, stderr: '' });
    const help = await run(['--help']);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('--config PATH');
  });

  it('refuses a bad config with one line and exit 2, no stack trace', async () => {
    const config = join(dir, 'bad.yaml');
    writeFileSync(config, 'broker:\n  url: http://nope\n  username: agent-x\n  password: x\n');
    const r = await run(['--config', config]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')).toEqual([`sitrep-agent: ${config} is invalid: broker.url: must be a URL such as mqtt://hub.example:1883 or wss://hub.example/mqtt`, '']);
  });

  it('refuses a missing config file and an unknown option the same way', async () => {
    const missing = await run(['--config', join(dir, 'nope.yaml')]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toBe(`sitrep-agent: ${join(dir, 'nope.yaml')} is invalid: file not found\n`);
    const unknown = await run(['--frobnicate']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toMatch(/^sitrep-agent: .*--frobnicate/);
  });

  it('loads node:http, node:https and node:crypto only when first used, and they then work', async () => {
    const probe = join(dir, 'lazy-builtins.cjs');
    await bundleForNode({ entry: fileURLToPath(new URL('./fixtures/lazy-builtins.ts', import.meta.url)), outfile: probe });
    const r = await execa(process.execPath, [probe], { cwd: dir, reject: false, timeout: 20_000 });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out['before']).toEqual({ http: false, https: false, tls: false, crypto: false });
    expect(out['afterHttp']).toEqual({ http: true, https: false, tls: false, crypto: false });
    expect(out).toMatchObject({ status: 204, hex: expect.stringMatching(/^[0-9a-f]{8}$/), afterCrypto: { crypto: true }, httpsIsFunction: true });
  });

  it('leaves out what the agent never runs: zod translations, SOCKS, eager ws/tls transports', () => {
    const text = readFileSync(built.path, 'utf8');
    expect(built.packages).not.toEqual(expect.arrayContaining(['socks']));
    expect(built.packages).not.toContain('dbus-next');
    expect(text).not.toMatch(/Ung\\xFCltige Eingabe/); // zod's German messages
    expect(/[^\x00-\x7f]/.test(text)).toBe(false); // ASCII only: V8 keeps a one-byte source string
  });

  it('checks a config without starting (what the installer runs)', async () => {
    const config = join(dir, 'good.yaml');
    writeFileSync(config, 'node: web-1\nbroker:\n  url: mqtt://127.0.0.1:1\n  username: agent-web-1\n  password: x\n');
    const r = await run(['--check-config', '--config', config]);
    expect(r).toMatchObject({ exitCode: 0, stderr: '' });
    expect(r.stdout).toBe(`config ok: ${config} (node web-1, broker mqtt://127.0.0.1:1)\n`);
  });
});
