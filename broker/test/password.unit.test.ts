/** scrypt at full cost for chosen passwords, lower cost for secrets sitrep generated; a cache of checks that passed. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityStore } from '../src/auth/identities.js';
import { generatePassword, hashPassword, verifyPassword } from '../src/auth/password.js';

describe('password hashes', () => {
  it('verify the right secret and refuse any other, at both costs', async () => {
    const secret = generatePassword();
    const generated = await hashPassword(secret, { generated: true });
    const chosen = await hashPassword('correct horse battery staple');
    expect(generated).toMatch(/^scrypt\$1024\$8\$1\$/);
    expect(chosen).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(await verifyPassword(secret, generated)).toBe(true);
    expect(await verifyPassword(`${secret}x`, generated)).toBe(false);
    expect(await verifyPassword('correct horse battery staple', chosen)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', chosen)).toBe(false);
    // Same secret, another salt: equal hashes would let one leaked file confirm another.
    expect(await hashPassword(secret, { generated: true })).not.toBe(generated);
  });

  it('identities: generated secrets at the lower cost; a remembered check never outlives a password change or removal', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitrep-pw-'));
    try {
      const store = IdentityStore.open(join(dir, 'identities.json'));
      const first = await store.add('agent-n1', 'agent', { node: 'n1' });
      await store.add('alice', 'viewer', { password: 'chosen by a person' });
      const file = JSON.parse(readFileSync(store.path, 'utf8')) as { identities: { username: string; hash: string }[] };
      expect(file.identities.find((i) => i.username === 'agent-n1')?.hash).toMatch(/^scrypt\$1024\$/);
      expect(file.identities.find((i) => i.username === 'alice')?.hash).toMatch(/^scrypt\$16384\$/);

      expect(await store.verify('agent-n1', first)).not.toBeNull();
      expect(await store.verify('agent-n1', first)).not.toBeNull(); // from the cache
      expect(await store.verify('agent-n1', `${first}x`)).toBeNull();
      const second = await store.setPassword('agent-n1');
      expect(await store.verify('agent-n1', first)).toBeNull();
      expect(await store.verify('agent-n1', second)).not.toBeNull();
      // Removed by another process (the CLI): the cached check must not let it in.
      IdentityStore.open(store.path).remove('agent-n1');
      expect(await store.verify('agent-n1', second)).toBeNull();
      expect(await store.verify('alice', 'chosen by a person')).not.toBeNull();
      expect(await store.verify('nobody', second)).toBeNull();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
