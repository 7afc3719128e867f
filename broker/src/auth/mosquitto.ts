/**
 * Identities and the ACL matrix in Mosquitto's own file formats, so the fleet can move to (or be
 * tested against) Mosquitto 2.x with the same least privilege.
 *
 * - Password file: `user:$7$iterations$salt$hash`, PBKDF2-HMAC-SHA512 with a 12-byte salt and a
 *   64-byte key, base64 (what `mosquitto_passwd` writes since 2.0). Our scrypt hashes cannot be
 *   converted, so this needs the passwords themselves.
 * - ACL file: one `user` block per identity with explicit `topic read|write` filters from
 *   `aclRules`. `pattern` lines (`%u`) cannot express "agent of node X" because a username need
 *   not equal its node id, so every agent gets its own block.
 */
import { pbkdf2, randomBytes } from 'node:crypto';
import type { Topics } from '@sitrep/schemas';
import type { Identity } from '@sitrep/schemas/config';
import { aclRules } from './acl.js';

/**
 * mosquitto_passwd 2.0 uses 101 iterations; the format carries the count and Mosquitto honours
 * it. More is slower to brute-force from a stolen file, and costs every connection that much CPU
 * on a single-threaded broker: 10,000 is about 10 ms per CONNECT here.
 */
export const MOSQUITTO_DEFAULT_ITERATIONS = 10_000;

export function mosquittoHash(password: string, iterations = MOSQUITTO_DEFAULT_ITERATIONS): Promise<string> {
  const salt = randomBytes(12);
  return new Promise((resolve, reject) =>
    pbkdf2(password, salt, iterations, 64, 'sha512', (err, key) =>
      err ? reject(err) : resolve(`$7$${iterations}$${salt.toString('base64')}$${key.toString('base64')}`),
    ),
  );
}

export async function mosquittoPasswordFile(entries: readonly { username: string; password: string }[], iterations?: number): Promise<string> {
  const lines = await Promise.all(entries.map(async (e) => `${e.username}:${await mosquittoHash(e.password, iterations)}`));
  return `${lines.join('\n')}\n`;
}

export function mosquittoAclFile(identities: readonly Identity[], t: Topics, header: string): string {
  const blocks = identities.map((who) => {
    const rules = aclRules(who, t).map((r) => `topic ${r.access} ${r.filter}`);
    const role = who.role === 'agent' ? `agent of node ${who.node ?? '?'}` : who.commands === true ? `${who.role} (may send commands)` : who.role;
    return [`# ${role}`, `user ${who.username}`, ...rules].join('\n');
  });
  return `${header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n')}\n# Anything not listed here is denied.\n\n${blocks.join('\n\n')}\n`;
}
