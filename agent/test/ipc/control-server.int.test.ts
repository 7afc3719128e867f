/**
 * The control socket on a real unix socket. The sources behind it are small in-memory stand-ins
 * for the supervisor and the journal (their own tests run them for real), so that the seam between
 * a tail and the follow after it can be driven line by line.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '@sitrep/schemas';
import { waitFor } from '@sitrep/broker/testing';
import { askAgent } from '../../src/ipc/client.js';
import { LogFeed, type FeedLine } from '../../src/ipc/log-feed.js';
import { startControlServer, type ControlServer, type ControlSources } from '../../src/ipc/server.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function socketPath(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sitrep-ipc-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'agent.sock');
}

const line = (n: number): FeedLine => ({ ts: 1_700_000_000_000 + n, text: `line ${n}`, stream: 'stdout' });

async function serve(path: string, sources: Partial<ControlSources> & { feed: LogFeed }): Promise<ControlServer> {
  const server = await startControlServer({
    path,
    log: memoryLogger('control'),
    sources: { tail: async () => ({ ok: true, lines: [] }), processes: () => [], ...sources },
  });
  cleanups.push(() => server.close());
  return server;
}

/** Raw bytes in, everything the server answered out (until it closes). */
function rawExchange(path: string, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    s.on('close', () => resolve(text));
    s.on('error', reject);
    s.write(bytes);
  });
}

describe('control server', () => {
  it('follows on from the tail: lines the tail had are skipped, later ones are passed on in order', async () => {
    const path = socketPath();
    const feed = new LogFeed();
    await serve(path, { feed, tail: async (_id, n) => ({ ok: true, lines: [line(1), line(2), line(3)].slice(-n) }) });
    expect(statSync(path).mode & 0o777).toBe(0o600);

    const got: string[] = [];
    const stop = new AbortController();
    const following = askAgent(path, { op: 'logs', id: 'p', lines: 2, follow: true }, (m) => {
      if (m.type !== 'lines') return;
      got.push(...m.lines.map((l) => l.text));
      if (got.length === 2) {
        // The tail is out; the batch that held it arrives only now, with the next line.
        feed.push('p', [line(1), line(2), line(3), line(4)]);
        feed.push('other', [line(99)]);
        feed.push('p', [line(5)]);
      }
      if (got.length >= 4) stop.abort();
    }, stop.signal);
    await following;
    expect(got).toEqual(['line 2', 'line 3', 'line 4', 'line 5']);
    await waitFor(() => (feed.followers === 0 ? true : undefined), 'the follower to be gone', 5000);
  });

  it('passes on the lines that came while the tail was read, and answers an unknown id with its error', async () => {
    const path = socketPath();
    const feed = new LogFeed();
    await serve(path, {
      feed,
      tail: async (id) => {
        if (id !== 'p') return { ok: false, code: 'UNKNOWN_ID', message: `${id} is not known` };
        feed.push('p', [line(3), line(4)]); // arrives while the journal is being read
        return { ok: true, lines: [line(2), line(3)] };
      },
    });
    const got: string[] = [];
    const stop = new AbortController();
    await askAgent(path, { op: 'logs', id: 'p', lines: 2, follow: true }, (m) => {
      if (m.type === 'lines') got.push(...m.lines.map((l) => l.text));
      if (got.length >= 3) stop.abort();
    }, stop.signal);
    expect(got).toEqual(['line 2', 'line 3', 'line 4']);
    await expect(askAgent(path, { op: 'logs', id: 'q', lines: 1, follow: false }, () => undefined)).rejects.toMatchObject({ code: 'UNKNOWN_ID', message: 'q is not known' });
  });

  it('refuses malformed, unknown and over-long requests with a reason', async () => {
    const path = socketPath();
    await serve(path, { feed: new LogFeed() });
    expect(JSON.parse(await rawExchange(path, 'not json\n'))).toMatchObject({ type: 'error', code: 'BAD_REQUEST', message: expect.stringMatching(/not JSON/) });
    expect(JSON.parse(await rawExchange(path, '{"op":"logs","id":"a/b","lines":1,"follow":false}\n'))).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/\/id/) });
    expect(JSON.parse(await rawExchange(path, '{"op":"logs","id":"a","lines":5000,"follow":false}\n'))).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/\/lines/) });
    expect(JSON.parse(await rawExchange(path, '{"op":"exec","argv":["rm","-rf","/"]}\n'))).toMatchObject({ code: 'BAD_REQUEST', message: 'unknown op "exec"; expected "logs" or "processes"' });
    expect(JSON.parse(await rawExchange(path, `${'x'.repeat(5000)}`))).toMatchObject({ code: 'BAD_REQUEST', message: 'request longer than 4096 bytes' });
  });

  it('replaces the socket of an agent that died, but not that of a live one; close removes it', async () => {
    const path = socketPath();
    // A process that dies by SIGKILL leaves its socket file behind.
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    expect(existsSync(path)).toBe(true);

    const first = await serve(path, { feed: new LogFeed() });
    await expect(startControlServer({ path, log: memoryLogger(), sources: { feed: new LogFeed(), tail: async () => ({ ok: true, lines: [] }), processes: () => [] } })).rejects.toMatchObject({
      code: 'SOCKET_IN_USE',
    });
    await first.close();
    expect(existsSync(path)).toBe(false);
  });
});
