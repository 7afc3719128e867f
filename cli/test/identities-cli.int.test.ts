/**
 * `sitrep user`, `sitrep node enroll`, `sitrep broker export-mosquitto` and the broker's listener
 * rules as a hub admin runs them: real CLI processes on a throw-away data directory.
 */
import { pbkdf2Sync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { IdentityStore } from '@sitrep/broker';
import { mosquittoMaxQueued } from '../src/broker/export-mosquitto.js';

const SITREP = fileURLToPath(new URL('../bin/sitrep.js', import.meta.url));
const INSTALL = fileURLToPath(new URL('../../deploy/install-agent.sh', import.meta.url));
const sitrep = (...args: string[]) => execa('node', [SITREP, ...args], { reject: false });
const dataDir = () => mkdtempSync(join(tmpdir(), 'sitrep-ids-cli-'));
const password = (stdout: string) => /password(?: of \S+)?: (\S+)/.exec(stdout)?.[1] ?? '';
// Each CLI process loads every package through tsx: seconds apiece on a loaded machine.
const SLOW = 180_000;

describe('sitrep user', () => {
  it('adds, lists, changes the password of and removes an identity, in a 0600 file without the password', async () => {
    const data = dataDir();
    const added = await sitrep('user', 'add', 'alice', '--role', 'viewer', '--data', data);
    expect(added.stdout).toMatch(/^created alice \(viewer\)\npassword: \S{24}\n\(shown once\)$/);
    const first = password(added.stdout);
    const file = join(data, 'identities.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain(first);
    expect(await IdentityStore.open(file).verify('alice', first)).not.toBeNull();

    expect((await sitrep('user', 'add', 'alice', '--role', 'viewer', '--data', data)).stderr).toBe('sitrep: identity alice exists');
    expect((await sitrep('user', 'list', '--data', data)).stdout).toMatch(/^alice\s+viewer\s+no$/m);

    const second = password((await sitrep('user', 'passwd', 'alice', '--data', data)).stdout);
    const store = IdentityStore.open(file);
    expect(await store.verify('alice', second)).not.toBeNull();
    expect(await store.verify('alice', first)).toBeNull();

    expect((await sitrep('user', 'remove', 'alice', '--data', data)).stdout).toBe('removed alice');
    expect(IdentityStore.open(file).get('alice')).toBeUndefined();
    expect((await sitrep('user', 'remove', 'alice', '--data', data)).exitCode).toBe(2);
  }, SLOW);

  it('lets only an integration take --commands, and only an agent --node', async () => {
    const data = dataDir();
    const ha = await sitrep('user', 'add', 'home-assistant', '--role', 'integration', '--commands', '--data', data);
    expect(ha.stdout).toMatch(/^created home-assistant \(integration, may send commands\)/);
    await sitrep('user', 'add', 'grafana', '--role', 'integration', '--data', data);
    const list = (await sitrep('user', 'list', '--data', data)).stdout;
    expect(list).toMatch(/^home-assistant\s+integration\s+yes$/m);
    expect(list).toMatch(/^grafana\s+integration\s+no$/m);
    const refused = await sitrep('user', 'add', 'v', '--role', 'viewer', '--commands', '--data', data);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toBe('sitrep: user add: --commands is for integrations (operators always may send commands)');
    expect((await sitrep('user', 'add', 'x', '--role', 'viewer', '--node', 'n1', '--data', data)).stderr).toMatch(/only an agent takes one/);
    expect((await sitrep('user', 'add', 'x', '--role', 'root', '--data', data)).stderr).toMatch(/--role must be one of agent, viewer, operator, service, integration/);
  }, SLOW);
});

describe('sitrep node enroll', () => {
  it('creates the agent identity and prints an install command that install-agent.sh accepts', async () => {
    const data = dataDir();
    const r = await sitrep('node', 'enroll', 'web-1', '--hub', 'mqtt://hub.lan:1883', '--data', data);
    expect(r.exitCode).toBe(0);
    const secret = /printf '%s' '(\S+)' > \/root\/web-1\.password/.exec(r.stdout)?.[1] ?? '';
    const identity = await IdentityStore.open(join(data, 'identities.json')).verify('agent-web-1', secret);
    expect(identity).toMatchObject({ role: 'agent', node: 'web-1' });
    expect(r.stdout).toContain(`  (umask 077 && printf '%s' '${secret}' > /root/web-1.password)`);
    const install = /^ {2}bash install-agent\.sh (.*)$/m.exec(r.stdout)?.[1] ?? '';
    expect(install).toBe('--artifact sitrep-agent.cjs --hub mqtt://hub.lan:1883 --node web-1 --password-file /root/web-1.password');
    // Every flag printed is one the installer documents (its defaults use the same username).
    const help = (await execa('bash', [INSTALL, '--help'])).stdout;
    for (const flag of install.match(/--[a-z-]+/g) ?? []) expect(help).toContain(`  ${flag} `);
    expect(help).toMatch(/--username NAME .*default: agent-<node>/);

    const again = await sitrep('node', 'enroll', 'web-1', '--data', data);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toMatch(/already enrolled \(identity agent-web-1\)/);
    expect((await sitrep('node', 'enroll', 'Web_1!', '--data', data)).exitCode).toBe(2);
  }, SLOW);

  it('defaults to mqtts:// on the TLS port when hub.yaml configures TLS', async () => {
    const data = dataDir();
    writeFileSync(join(data, 'hub.yaml'), 'broker:\n  tls:\n    cert: hub.crt\n    key: hub.key\n    port: 8884\n');
    const r = await sitrep('node', 'enroll', 'db-2', '--data', data);
    expect(r.stdout).toMatch(/--hub mqtts:\/\/\S+:8884 --node db-2/);
  }, SLOW);
});

describe('sitrep broker export-mosquitto', () => {
  it('needs every password, checks the ones given, and writes Mosquitto files', async () => {
    const data = dataDir();
    const out = join(data, 'mosquitto');
    // Set up through the store (the user commands have their own tests above).
    const setup = IdentityStore.open(join(data, 'identities.json'));
    const viewer = await setup.add('alice', 'viewer');
    await setup.add('ha', 'integration', { commands: true });
    await setup.add('agent-web-1', 'agent', { node: 'web-1' });

    const missing = await sitrep('broker', 'export-mosquitto', '--data', data, '--out', out);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/^sitrep: no password known for alice, ha, agent-web-1: stored hashes \(scrypt\) cannot be converted/);

    const passwords = join(data, 'passwords');
    writeFileSync(passwords, 'alice:wrong\n', { mode: 0o600 });
    const wrong = await sitrep('broker', 'export-mosquitto', '--data', data, '--out', out, '--passwords', passwords);
    expect(wrong.stderr).toBe(`sitrep: the password given for alice does not match the one stored in ${join(data, 'identities.json')}`);

    writeFileSync(passwords, `# kept\nalice:${viewer}\n`, { mode: 0o600 });
    const r = await sitrep('broker', 'export-mosquitto', '--data', data, '--out', out, '--passwords', passwords, '--rotate-unknown');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^exported 3 identities: alice, ha, agent-web-1$/m);
    expect(r.stdout).toMatch(/^ {2}ha: .*credentials\/ha$/m);

    // alice kept her password; the rotated ones changed for the embedded broker too.
    const store = IdentityStore.open(join(data, 'identities.json'));
    const rotated = readFileSync(join(out, 'credentials', 'agent-web-1'), 'utf8').trim();
    expect(statSync(join(out, 'credentials', 'agent-web-1')).mode & 0o777).toBe(0o600);
    expect(await store.verify('agent-web-1', rotated)).not.toBeNull();
    expect(await store.verify('alice', viewer)).not.toBeNull();

    // Mosquitto's PBKDF2-SHA512 format: $7$iterations$salt$hash, checked by recomputing it.
    expect(statSync(join(out, 'passwd')).mode & 0o777).toBe(0o600);
    const lines = readFileSync(join(out, 'passwd'), 'utf8').trim().split('\n');
    expect(lines.map((l) => l.split(':')[0])).toEqual(['alice', 'ha', 'agent-web-1']);
    const [, , iterations, salt, hash] = (lines[0] as string).split(':')[1]!.split('$');
    expect(iterations).toBe('10000');
    expect(pbkdf2Sync(viewer, Buffer.from(salt!, 'base64'), 10_000, 64, 'sha512').toString('base64')).toBe(hash);

    const acl = readFileSync(join(out, 'acl'), 'utf8');
    expect(acl).toContain('user alice\ntopic read sitrep/v1/#\ntopic read homeassistant/#\ntopic write sitrep/v1/hub/query/+\n');
    expect(acl).toContain('user ha\ntopic read sitrep/v1/#\ntopic read homeassistant/#\ntopic write sitrep/v1/nodes/+/cmd\ntopic write sitrep/v1/hub/query/+\ntopic write homeassistant/status\n');
    expect(acl).toContain('user agent-web-1\ntopic read sitrep/v1/nodes/web-1/cmd\ntopic read sitrep/v1/hub/projector/status\ntopic read homeassistant/status\ntopic write sitrep/v1/nodes/web-1/status\n');
    expect(acl).not.toMatch(/user agent-web-1\n(topic .*\n)*topic write sitrep\/v1\/nodes\/web-1\/cmd\n/);
    expect(readFileSync(join(out, 'mosquitto.conf'), 'utf8')).toContain(`password_file ${join(out, 'passwd')}\nacl_file ${join(out, 'acl')}\nmax_queued_messages 100000\n`);
    expect(r.stdout).toMatch(/settings: .*mosquitto\.conf \(max_queued_messages 100000\)$/m);

    // A fleet's reconnect burst: the queue is sized from the agents unless told.
    const bad = await sitrep('broker', 'export-mosquitto', '--data', data, '--out', out, '--passwords', passwords, '--max-queued', '10');
    expect(bad.stderr).toBe('sitrep: --max-queued must be a whole number from 1000 to 100000000, got "10"');
    const big = await sitrep('broker', 'export-mosquitto', '--data', data, '--out', out, '--passwords', passwords, '--rotate-unknown', '--max-queued', '750000');
    expect(big.exitCode).toBe(0);
    expect(readFileSync(join(out, 'mosquitto.conf'), 'utf8')).toContain('\nmax_queued_messages 750000\n');
  }, SLOW);

  it('sizes Mosquitto\'s queues for the fleet: 50 messages per agent, never under 100,000', () => {
    expect(mosquittoMaxQueued(0)).toBe(100_000);
    expect(mosquittoMaxQueued(2000)).toBe(100_000);
    expect(mosquittoMaxQueued(5000)).toBe(250_000); // 5,000 agents x 20 services overflowed 100,000
  });
});

describe('sitrep broker listeners', () => {
  it('refuses plain listeners on a public address, and half a TLS pair, with a clear error', async () => {
    const data = dataDir();
    const plain = await sitrep('broker', '--data', data, '--host', '0.0.0.0', '--mqtt-port', '0', '--http-port', '0');
    expect(plain.exitCode).toBe(2);
    expect(plain.stderr).toMatch(/\nsitrep: broker is invalid:\n {2}- plain MQTT and HTTP on 0\.0\.0\.0 would carry passwords in clear: configure a TLS certificate and key/);
    const half = await sitrep('broker', '--data', data, '--tls-cert', join(data, 'x.crt'));
    expect(half.stderr).toBe('sitrep: --tls-cert and --tls-key go together');
    const missing = await sitrep('broker', '--data', data, '--tls-cert', join(data, 'x.crt'), '--tls-key', join(data, 'x.key'));
    expect(missing.stderr).toBe(`sitrep: cannot read the TLS certificate ${join(data, 'x.crt')}: ENOENT`);
  }, SLOW);
});
