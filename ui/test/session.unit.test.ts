/** The login kept for reloads and the role asked of the hub (fetch answered in-process here; the real endpoint is tested in broker/test/session.int.test.ts and end to end). */
import { describe, expect, it } from 'vitest';
import { clearLogin, loadLogin, LOGIN_KEY, saveLogin } from '../src/session/stored-login.js';
import { whoAmI } from '../src/session/whoami.js';

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem = (k: string) => this.items.get(k) ?? null;
  setItem = (k: string, v: string) => void this.items.set(k, v);
  removeItem = (k: string) => void this.items.delete(k);
}

const respond = (status: number, body: string) => (async () => new Response(body, { status })) as typeof fetch;

describe('stored login', () => {
  it('round-trips, and drops an entry it cannot read', () => {
    const s = new MemoryStorage();
    expect(loadLogin(s)).toBeNull();
    saveLogin(s, { username: 'ann', password: 'pw' });
    expect(loadLogin(s)).toEqual({ username: 'ann', password: 'pw' });
    clearLogin(s);
    expect(loadLogin(s)).toBeNull();
    for (const bad of ['{', '{"username":"","password":"x"}', '{"username":"a"}', '[]']) {
      s.setItem(LOGIN_KEY, bad);
      expect(loadLogin(s)).toBeNull();
      expect(s.items.has(LOGIN_KEY)).toBe(false);
    }
  });
});

describe('whoAmI', () => {
  const creds = { username: 'ann', password: 'pw' };
  it('returns the validated role', async () => {
    expect(await whoAmI(creds, respond(200, '{"username":"ann","role":"operator"}'))).toEqual({ ok: true, username: 'ann', role: 'operator' });
  });
  it('tells a refusal from a hub that cannot be asked, and rejects an invalid answer', async () => {
    expect(await whoAmI(creds, respond(401, '{}'))).toMatchObject({ ok: false, refused: true });
    expect(await whoAmI(creds, respond(404, ''))).toMatchObject({ ok: false, refused: false, reason: expect.stringMatching(/404/) });
    expect(await whoAmI(creds, respond(200, '{"username":"ann","role":"root"}'))).toMatchObject({ ok: false, refused: false, reason: expect.stringMatching(/SessionInfo at \/role/) });
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as typeof fetch;
    expect(await whoAmI(creds, offline)).toMatchObject({ ok: false, refused: false, reason: expect.stringMatching(/Failed to fetch/) });
  });
});
