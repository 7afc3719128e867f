/**
 * `sitrep broker export-mosquitto`: the hub's identities and ACL matrix as Mosquitto files.
 *
 * Stored hashes are scrypt and cannot become Mosquitto's PBKDF2, so every exported identity needs
 * its password: the hub's internal identities (projector, local agent) are known from
 * hub-secrets.json, the admin's from initial-admin-password while that file is kept; others come from a file of `name:password` lines, checked against the stored
 * hash; identities with neither get a new password only when asked (`--rotate-unknown`), set in
 * identities.json too so the embedded broker and Mosquitto agree, and written to OUT/credentials/.
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IdentityStore, mosquittoAclFile, mosquittoPasswordFile } from '@sitrep/broker';
import { createTopics, DEFAULT_PREFIX } from '@sitrep/schemas';
import { CliError } from '../errors.js';
import { readHubSecrets } from '../hub/bootstrap.js';

export interface ExportOptions {
  dataDir: string;
  out: string;
  /** A file of `name:password` lines (0600, deleted after use is wise). */
  passwordsFile?: string | undefined;
  rotateUnknown: boolean;
  iterations?: number | undefined;
  prefix?: string | undefined;
  /** Mosquitto's max_queued_messages; default: mosquittoMaxQueued(the number of agent identities). */
  maxQueued?: number | undefined;
}

/**
 * Room in every client's queue for the whole fleet's reconnect burst. Mosquitto queues QoS 1
 * messages for an online client too once its 20 in-flight slots are taken, and its default (1000)
 * drops the rest: the projector then misses events. After a broker restart every agent publishes its
 * retained state (status, birth, metrics, one per service and check) and its spooled events at once;
 * 50 per agent covers 20 services, their checks and a few events (measured: 5,000 agents with 20
 * services overflowed 100,000). Never below 100,000, the embedded broker's bound.
 */
export const MOSQUITTO_QUEUE_PER_AGENT = 50;
export function mosquittoMaxQueued(agents: number): number {
  return Math.max(100_000, agents * MOSQUITTO_QUEUE_PER_AGENT);
}

export interface ExportResult {
  passwordFile: string;
  aclFile: string;
  confFile: string;
  exported: string[];
  maxQueued: number;
  /** Identities that got a new password, and where it was written. */
  rotated: { username: string; file: string }[];
}

function writePrivate(path: string, content: string, mode = 0o600): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

function readPasswords(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read --passwords ${path}: ${(err as Error).message}`);
  }
  const passwords = new Map<string, string>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon <= 0 || colon === line.length - 1) throw new CliError(`${path} line ${i + 1}: expected name:password`);
    passwords.set(line.slice(0, colon), line.slice(colon + 1));
  });
  return passwords;
}

/** The first admin password, while the user keeps the file the hub wrote it to (checked below like any other). */
function readInitialAdminPassword(dataDir: string): string | null {
  try {
    return readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').trim() || null;
  } catch {
    return null; // Deleted, as the hub advises: the admin then needs --passwords or --rotate-unknown.
  }
}

export async function exportMosquitto(opts: ExportOptions): Promise<ExportResult> {
  const dataDir = resolve(opts.dataDir);
  const out = resolve(opts.out);
  const store = IdentityStore.open(join(dataDir, 'identities.json'));
  const identities = store.list();
  if (identities.length === 0) throw new CliError(`no identities in ${store.path}: start the hub once or add some with \`sitrep user add\``);

  const known = new Map<string, string>();
  const secrets = readHubSecrets(dataDir);
  for (const s of [secrets.projector, secrets.agent]) if (s?.password !== undefined) known.set(s.username, s.password);
  const admin = readInitialAdminPassword(dataDir);
  if (admin !== null) known.set('admin', admin);
  for (const [name, password] of opts.passwordsFile === undefined ? [] : readPasswords(opts.passwordsFile)) {
    if (store.get(name) === undefined) throw new CliError(`--passwords: no identity ${name}`);
    known.set(name, password);
  }
  // A password that does not match would lock its owner out of Mosquitto: check each one.
  for (const [name, password] of known) {
    if (store.get(name) !== undefined && (await store.verify(name, password)) === null) {
      throw new CliError(`the password given for ${name} does not match the one stored in ${store.path}`);
    }
  }
  const unknown = identities.filter((i) => !known.has(i.username)).map((i) => i.username);
  if (unknown.length > 0 && !opts.rotateUnknown) {
    throw new CliError(
      `no password known for ${unknown.join(', ')}: stored hashes (scrypt) cannot be converted for Mosquitto. ` +
        'Give them in a file of name:password lines with --passwords FILE, or let the export set new ones with --rotate-unknown ' +
        '(they change for the embedded broker too, and are written to OUT/credentials/).',
    );
  }

  mkdirSync(out, { recursive: true, mode: 0o700 });
  const rotated: ExportResult['rotated'] = [];
  if (unknown.length > 0) {
    const dir = join(out, 'credentials');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const username of unknown) {
      const password = await store.setPassword(username);
      known.set(username, password);
      const file = join(dir, username);
      writePrivate(file, `${password}\n`);
      rotated.push({ username, file });
    }
  }

  const t = createTopics(opts.prefix ?? DEFAULT_PREFIX);
  const maxQueued = opts.maxQueued ?? mosquittoMaxQueued(identities.filter((i) => i.role === 'agent').length);
  const header = `Generated by \`sitrep broker export-mosquitto\` from ${store.path} on ${new Date().toISOString()}.\nRegenerate it after changing identities; edits here are lost.`;
  const passwordFile = join(out, 'passwd');
  const aclFile = join(out, 'acl');
  const confFile = join(out, 'mosquitto.conf');
  writePrivate(passwordFile, await mosquittoPasswordFile(identities.map((i) => ({ username: i.username, password: known.get(i.username) as string })), opts.iterations));
  writePrivate(aclFile, mosquittoAclFile(identities, t, header), 0o644);
  writePrivate(
    confFile,
    [
      `# ${header.split('\n')[0]}`,
      '# Include it from mosquitto.conf (include_dir) and add your listeners, e.g.',
      '#   listener 8883',
      '#   certfile ... keyfile ...',
      'per_listener_settings false',
      'allow_anonymous false',
      `password_file ${passwordFile}`,
      `acl_file ${aclFile}`,
      // Mosquitto's default (1000) drops QoS 1 messages for a client whose queue is full, online or
      // not: a fleet's reconnect burst overflows it and the projector silently misses events.
      `max_queued_messages ${maxQueued}`,
      '',
    ].join('\n'),
    0o644,
  );
  return { passwordFile, aclFile, confFile, exported: identities.map((i) => i.username), maxQueued, rotated };
}
