/**
 * Identities with roles, in `identities.json` in the data directory. Passwords are stored hashed;
 * the file is written atomically (temp file + rename) with mode 0600.
 */
import { closeSync, existsSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { IdentitiesFile, parseConfig, type Identity, type Role } from '@sitrep/schemas/config';
import { createHmac, randomBytes } from 'node:crypto';
import { generatePassword, hashPassword, verifyPassword } from './password.js';

export class IdentityError extends Error {
  constructor(
    readonly code: 'IDENTITY_EXISTS' | 'IDENTITY_UNKNOWN' | 'IDENTITY_INVALID',
    message: string,
  ) {
    super(message);
    this.name = 'IdentityError';
  }
}

export class IdentityStore {
  private identities: Identity[];
  /** Credentials that passed scrypt, as HMACs (see verify). */
  private readonly verified = new Set<string>();
  /** mtime of the file when last read or written, to notice changes made by another process. */
  private seenMtimeMs: number;

  private constructor(
    readonly path: string,
    identities: Identity[],
  ) {
    this.identities = identities;
    this.seenMtimeMs = mtimeOf(path);
  }

  /** Load the store, or start an empty one when the file does not exist yet. */
  static open(path: string): IdentityStore {
    return new IdentityStore(path, readIdentities(path));
  }

  /**
   * Pick up changes another process made (`sitrep user add` while the hub runs). Cheap: one stat;
   * a file that became invalid keeps the identities already loaded.
   */
  refresh(): void {
    const mtime = mtimeOf(this.path);
    if (mtime === this.seenMtimeMs) return;
    try {
      this.identities = readIdentities(this.path);
      this.seenMtimeMs = mtime;
    } catch {
      // Half-written or broken by hand: keep what we have and look again at the next call.
    }
  }

  list(): readonly Identity[] {
    return this.identities;
  }

  get(username: string): Identity | undefined {
    return this.identities.find((i) => i.username === username);
  }

  /** Add an identity; returns the password (generated unless given). */
  async add(username: string, role: Role, opts: { node?: string; password?: string; commands?: boolean } = {}): Promise<string> {
    this.refresh();
    if (this.get(username) !== undefined) throw new IdentityError('IDENTITY_EXISTS', `identity ${username} exists`);
    const password = opts.password ?? generatePassword();
    const candidate = {
      username,
      role,
      ...(opts.node === undefined ? {} : { node: opts.node }),
      ...(opts.commands === true ? { commands: true } : {}),
      hash: await hashPassword(password, { generated: opts.password === undefined }),
      createdAt: new Date().toISOString(),
    };
    const next = parseConfig(IdentitiesFile, { version: 1, identities: [...this.identities, candidate] }, 'identity');
    this.identities = next.identities;
    this.save();
    return password;
  }

  /**
   * Create or update many identities that share one password, with one hash and one write: the
   * fleet simulator enrolls thousands of nodes, and one scrypt per node plus one rewrite of the
   * file per node would take minutes. `secret` must come from `generatePassword()` (it gets the
   * fast hash). Returns how many were created (the rest got the new secret).
   */
  async upsertMany(entries: readonly { username: string; role: Role; node?: string }[], secret: string): Promise<number> {
    this.refresh();
    const hash = await hashPassword(secret, { generated: true });
    const byName = new Map(this.identities.map((i) => [i.username, i]));
    const createdAt = new Date().toISOString();
    let created = 0;
    for (const e of entries) {
      const old = byName.get(e.username);
      if (old === undefined) created += 1;
      else if (old.role !== e.role || old.node !== e.node) {
        throw new IdentityError('IDENTITY_EXISTS', `identity ${e.username} exists as ${old.role}${old.node ? ` of node ${old.node}` : ''}; not overwriting it`);
      }
      byName.set(e.username, { ...(old ?? { createdAt }), username: e.username, role: e.role, ...(e.node === undefined ? {} : { node: e.node }), hash });
    }
    const next = parseConfig(IdentitiesFile, { version: 1, identities: [...byName.values()] }, 'identity');
    this.identities = next.identities;
    this.save();
    return created;
  }

  remove(username: string): void {
    this.refresh();
    if (this.get(username) === undefined) throw new IdentityError('IDENTITY_UNKNOWN', `no identity ${username}`);
    this.identities = this.identities.filter((i) => i.username !== username);
    this.save();
  }

  /** Give an identity a new password (generated unless given); returns it. */
  async setPassword(username: string, chosen?: string): Promise<string> {
    this.refresh();
    const identity = this.get(username);
    if (identity === undefined) throw new IdentityError('IDENTITY_UNKNOWN', `no identity ${username}`);
    const password = chosen ?? generatePassword();
    const hash = await hashPassword(password, { generated: chosen === undefined });
    this.identities = this.identities.map((i) => (i.username === username ? { ...i, hash } : i));
    this.save();
    return password;
  }

  /**
   * The identity when the password matches, else null. Unknown users cost as much as known ones.
   * A successful check is remembered (as an HMAC under a key that lives only in this process, and
   * bound to the stored hash, so a new password or a removed identity never matches), so agents
   * that reconnect cost a hash, not a scrypt.
   */
  async verify(username: string, password: string): Promise<Identity | null> {
    this.refresh();
    const identity = this.get(username);
    const stored = identity?.hash ?? DUMMY_HASH;
    const key = createHmac('sha256', VERIFIED_KEY).update(`${username}\0${stored}\0`).update(password, 'utf8').digest('base64');
    if (identity !== undefined && this.verified.has(key)) return identity;
    const ok = await verifyPassword(password, stored);
    if (!ok || identity === undefined) return null;
    if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
    this.verified.add(key);
    return identity;
  }

  private save(): void {
    const tmp = `${this.path}.tmp-${process.pid}`;
    // Synced before the rename, so a crash leaves the old file or the new one, never an empty one.
    const fd = openSync(tmp, 'w', 0o600);
    try {
      fchmodSync(fd, 0o600);
      writeFileSync(fd, `${JSON.stringify({ version: 1, identities: this.identities }, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
    this.seenMtimeMs = mtimeOf(this.path);
  }
}

function mtimeOf(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0; // No file yet.
  }
}

function readIdentities(path: string): Identity[] {
  if (!existsSync(path)) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new IdentityError('IDENTITY_INVALID', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parseConfig(IdentitiesFile, raw, path).identities;
}

const VERIFIED_KEY = randomBytes(32);
/** Enough for the largest fleet; past it the cache starts over (costing one scrypt per client). */
const VERIFIED_MAX = 50_000;

// A valid hash of a random secret at the cost of a generated one (every identity sitrep creates
// has one), so verifying an unknown username costs about what a real check costs.
const DUMMY_HASH = 'scrypt$1024$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
