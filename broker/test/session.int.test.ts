/** `POST /session` over real HTTP: the role of a login, from the broker's own identity store. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../src/testing.js';

let tb: TestBroker;
let url: string;
beforeAll(async () => {
  tb = await startTestBroker();
  url = `http://127.0.0.1:${tb.broker.httpPort}/session`;
});
afterAll(() => tb?.close());

const post = (body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('POST /session', () => {
  it('answers the role of valid credentials', async () => {
    const viewer = await tb.identity('viewer', 'vera');
    const operator = await tb.identity('operator', 'otto');
    const a = await post(JSON.stringify(viewer));
    expect(a.status).toBe(200);
    expect(await a.json()).toEqual({ username: 'vera', role: 'viewer' });
    const b = await post(JSON.stringify(operator));
    expect(await b.json()).toEqual({ username: 'otto', role: 'operator' });
  });

  it('refuses a wrong password, a bad body, an oversized body and other methods', async () => {
    const viewer = await tb.identity('viewer', 'wanda');
    expect((await post(JSON.stringify({ ...viewer, password: 'nope' }))).status).toBe(401);
    expect((await post(JSON.stringify({ username: 'ghost', password: 'x' }))).status).toBe(401);
    expect((await post('not json')).status).toBe(400);
    expect((await post(JSON.stringify({ username: 1, password: 2 }))).status).toBe(400);
    const big = await post(JSON.stringify({ username: 'wanda', password: 'x'.repeat(10_000) })).catch(() => null);
    expect(big === null || big.status === 413).toBe(true);
    expect((await fetch(url)).status).toBe(405);
  });
});
