/**
 * Built-in probes against REAL servers on 127.0.0.1, port 0 (the bound port read back): http
 * (ok, wrong status, body mismatch, no answer in time, refused), tcp (open, closed) and command.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import type { ProbeSpec } from '@sitrep/schemas/config';
import { afterEach, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/checks/index.js';
import { cleanup, track } from '../fixtures/checks/harness.js';

afterEach(cleanup);

const opts = { timeoutMs: 2_000, maxOutputBytes: 64 * 1024 };

async function listen<S extends HttpServer | TcpServer>(server: S): Promise<{ server: S; port: number }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  track(server, (s) => new Promise<void>((resolve) => {
    if ('closeAllConnections' in s) s.closeAllConnections();
    s.close(() => resolve());
  }));
  return { server, port: (server.address() as AddressInfo).port };
}

/** A port nobody listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function web(): Promise<number> {
  const { port } = await listen(
    createHttpServer((req, res) => {
      if (req.url === '/ok') res.end('<html>status: all systems go</html>');
      else if (req.url === '/moved') res.writeHead(302, { location: '/ok' }).end();
      else if (req.url === '/broken') res.writeHead(503).end('down for maintenance');
      else if (req.url === '/hang') return; // never answers
      else res.writeHead(404).end('not here');
    }),
  );
  return port;
}

const http = (url: string, extra: Partial<Extract<ProbeSpec, { type: 'http' }>> = {}): ProbeSpec => ({ type: 'http', url, expectStatus: 200, ...extra });

describe('http probe', () => {
  it('is OK on the expected status, with the latency in the message', async () => {
    const port = await web();
    const r = await runProbe('web', http(`http://127.0.0.1:${port}/ok`), opts);
    expect(r).toMatchObject({ check: 'web', status: 'OK', message: expect.stringMatching(/^HTTP 200 in \d+ ms$/) });
    expect(r.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('follows redirects and finds a body substring', async () => {
    const port = await web();
    const r = await runProbe('web', http(`http://127.0.0.1:${port}/moved`, { bodyContains: 'all systems go' }), opts);
    expect(r).toMatchObject({ status: 'OK', message: expect.stringMatching(/^HTTP 200 in \d+ ms, body contains "all systems go"$/) });
  });

  it('is a FAILURE on another status', async () => {
    const port = await web();
    const r = await runProbe('web', http(`http://127.0.0.1:${port}/broken`), opts);
    expect(r).toMatchObject({ status: 'FAILURE', message: expect.stringMatching(/^HTTP 503, expected 200 \(\d+ ms\)$/) });
    // and OK when that status is what is expected
    expect(await runProbe('web', http(`http://127.0.0.1:${port}/broken`, { expectStatus: 503 }), opts)).toMatchObject({ status: 'OK' });
  });

  it('is a FAILURE when the body lacks the substring, with the body as output', async () => {
    const port = await web();
    const r = await runProbe('web', http(`http://127.0.0.1:${port}/ok`, { bodyContains: 'everything is on fire' }), opts);
    expect(r).toMatchObject({
      status: 'FAILURE',
      message: expect.stringMatching(/^HTTP 200 in \d+ ms, but the body does not contain "everything is on fire"$/),
      output: '<html>status: all systems go</html>',
    });
  });

  it('is a FAILURE when nothing answers in time', async () => {
    const port = await web();
    const started = Date.now();
    const r = await runProbe('web', http(`http://127.0.0.1:${port}/hang`), { ...opts, timeoutMs: 300 });
    expect(r).toMatchObject({ status: 'FAILURE', message: `no response from http://127.0.0.1:${port}/hang within 0.3 s` });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('is a FAILURE when the connection is refused', async () => {
    const port = await closedPort();
    const r = await runProbe('web', http(`http://127.0.0.1:${port}/`), opts);
    expect(r).toMatchObject({ status: 'FAILURE', message: expect.stringMatching(new RegExp(`^http://127.0.0.1:${port}/: ECONNREFUSED after \\d+ ms$`)) });
  });
});

describe('tcp probe', () => {
  it('is OK when the port is open', async () => {
    const { port } = await listen(createTcpServer((socket) => socket.end()));
    const r = await runProbe('db', { type: 'tcp', host: '127.0.0.1', port }, opts);
    expect(r).toMatchObject({ check: 'db', status: 'OK', message: expect.stringMatching(new RegExp(`^127.0.0.1:${port} open \\(connected in \\d+ ms\\)$`)) });
  });

  it('is a FAILURE when it is closed', async () => {
    const port = await closedPort();
    const r = await runProbe('db', { type: 'tcp', host: '127.0.0.1', port }, opts);
    expect(r).toMatchObject({ status: 'FAILURE', message: expect.stringMatching(new RegExp(`^127.0.0.1:${port} not open: ECONNREFUSED after \\d+ ms$`)) });
  });
});

describe('command probe', () => {
  const node = (script: string) => [process.execPath, '-e', script];

  it('is OK on the expected exit code and a FAILURE on another', async () => {
    expect(await runProbe('cmd', { type: 'command', argv: node('console.log("fine")'), expectExit: 0 }, opts)).toMatchObject({
      status: 'OK',
      message: 'exit code 0: fine',
      exitCode: 0,
      output: 'fine\n',
    });
    expect(await runProbe('cmd', { type: 'command', argv: node('console.error("nope"); process.exit(3)'), expectExit: 0 }, opts)).toMatchObject({
      status: 'FAILURE',
      message: 'exit code 3, expected 0: nope',
      exitCode: 3,
    });
    expect(await runProbe('cmd', { type: 'command', argv: node('process.exit(3)'), expectExit: 3 }, opts)).toMatchObject({ status: 'OK', exitCode: 3 });
  });

  it('is an ERROR when the command cannot start or runs out of time', async () => {
    expect(await runProbe('cmd', { type: 'command', argv: ['/nonexistent/tool'], expectExit: 0 }, opts)).toMatchObject({
      status: 'ERROR',
      message: 'cannot run /nonexistent/tool: ENOENT',
    });
    expect(await runProbe('cmd', { type: 'command', argv: node('setInterval(() => {}, 1000)'), expectExit: 0 }, { ...opts, timeoutMs: 300, killGraceMs: 100 })).toMatchObject({
      status: 'ERROR',
      message: 'timed out after 0.3 s',
    });
  });
});
