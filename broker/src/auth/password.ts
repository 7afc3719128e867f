/**
 * Password hashing with scrypt (node:crypto). Format `scrypt$N$r$p$salt$key` (base64), so the
 * cost can be raised later without breaking stored hashes.
 *
 * Secrets sitrep generates itself (144 random bits, `generatePassword`) are hashed at a lower cost
 * (N = 1024 instead of 16384): scrypt's cost exists to slow down guessing low-entropy passwords,
 * and 2^144 guesses stay out of reach at any cost. It matters at scale: thousands of agents
 * reconnecting after a broker restart would otherwise cost ~50 ms of CPU each.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const N = 16384;
const N_GENERATED = 1024;
const R = 8;
const P = 1;
const KEY_LEN = 32;

function derive(password: string, salt: Buffer, opts: ScryptOptions, len: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, len, { ...opts, maxmem: 64 * 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hash a password; `generated` only for secrets from `generatePassword()`, never a person's choice. */
export async function hashPassword(password: string, opts: { generated?: boolean } = {}): Promise<string> {
  const n = opts.generated === true ? N_GENERATED : N;
  const salt = randomBytes(16);
  const key = await derive(password, salt, { N: n, r: R, p: P }, KEY_LEN);
  return `scrypt$${n}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false;
  const expected = Buffer.from(key, 'base64');
  const actual = await derive(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) }, expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A random password that survives copy-paste and shells: 24 url-safe characters (144 bits). */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
