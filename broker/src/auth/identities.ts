/**
 * Identities with roles, in `identities.json` in the data directory. Passwords are stored hashed;
 * the file is written atomically (temp file + rename) with mode 0600.
 */
import { closeSync, existsSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { IdentitiesFile, parseConfig, type Identity, type Role } from '@sitrep/schemas/config';
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
      hash: await hashPassword(password),
      createdAt: new Date().toISOString(),
    };
    const next = parseConfig(IdentitiesFile, { version: 1, identities: [...this.identities, candidate] }, 'identity');
    this.identities = next.identities;
    this.save();
    return password;
  }

  remove(username: string): void {
    this.refresh();
    if (this.get(username) === undefined) throw new IdentityError('IDENTITY_UNKNOWN', `no identity ${username}`);
    this.identities = this.identities.filter((i) => i.username !== username);
    this.save();
  }

  /** Give an identity a new password (generated unless given); returns it. */
  async setPassword(username: string, password: string = generatePassword()): Promise<string> {
    this.refresh();
    const identity = this.get(username);
    if (identity === undefined) throw new IdentityError('IDENTITY_UNKNOWN', `no identity ${username}`);
    const hash = await hashPassword(password);
    this.identities = this.identities.map((i) => (i.username === username ? { ...i, hash } : i));
    this.save();
    return password;
  }

  /** The identity when the password matches, else null. Unknown users cost as much as known ones. */
  async verify(username: string, password: string): Promise<Identity | null> {
    this.refresh();
    const identity = this.get(username);
    const ok = await verifyPassword(password, identity?.hash ?? DUMMY_HASH);
    return ok && identity !== undefined ? identity : null;
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

// A valid hash of a random password, so verifying an unknown username takes the same time.
const DUMMY_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
