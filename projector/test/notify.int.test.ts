/**
 * The notifier against real receivers on 127.0.0.1: node:http servers for webhook and ntfy, an
 * smtp-server for email. Tests that need time to pass use an injected clock and `flush()`; tests
 * of the real worker loop wait on what the receivers got, never on fixed sleeps.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger, type Alert } from '@sitrep/schemas';
import { waitFor } from '@sitrep/broker/testing';
import { openDatabase } from '../src/db/open.js';
import type { Db } from '../src/projections/projection.js';
import { NotifyConfig, type NotifyConfigInput } from '../src/notify/config.js';
import { createNotifier, listOutbox, type Notifier, type NotifierOptions, type OutboxRow, type WebhookBody } from '../src/notify/index.js';

// ---- one teardown for every server, notifier and database a test creates ----
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** An HTTP receiver; `respond(n)` gives the status of the n-th request (0-based), or 'hang' to never answer. */
async function httpReceiver(respond: (n: number) => number | 'hang' = () => 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = respond(received.length);
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      if (status !== 'hang') res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, received };
}

interface Mail {
  from: string;
  to: string[];
  data: string;
}

/** A real SMTP server (no TLS: loopback only). With `auth`, only that user and password get in. */
async function smtpReceiver(auth?: { user: string; pass: string }) {
  const mails: Mail[] = [];
  const logins = { ok: 0, refused: 0 };
  const server = new SMTPServer({
    disabledCommands: auth === undefined ? ['STARTTLS', 'AUTH'] : ['STARTTLS'],
    authOptional: auth === undefined,
    allowInsecureAuth: true,
    logger: false,
    onAuth(a, _session, cb) {
      if (a.username === auth?.user && a.password === auth?.pass) {
        logins.ok++;
        cb(null, { user: a.username });
      } else {
        logins.refused++;
        cb(new Error('authentication failed'));
      }
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
        mails.push({ from, to: session.envelope.rcptTo.map((r) => r.address), data: Buffer.concat(chunks).toString('utf8') });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, logins };
}

// ---- fixtures ----
const T0 = Date.parse('2025-01-10T12:00:00Z');

function makeAlert(over: Partial<Alert> = {}): Alert {
  return {
    id: 'service_down:web-1:nginx.service',
    kind: 'service_down',
    node: 'web-1',
    target: 'nginx.service',
    since: T0 - 60_000,
    openedAt: T0,
    message: 'nginx.service is failed (expected running)',
    ...over,
  };
}

function setup(config: NotifyConfigInput, over: Partial<NotifierOptions> = {}) {
  const db: Db = openDatabase(':memory:');
  cleanup.push(() => db.close());
  const log = memoryLogger('projector');
  const clock = { now: T0 };
  const notifier: Notifier = createNotifier({ db, config: NotifyConfig.parse(config), log, now: () => clock.now, random: () => 0.5, ...over });
  cleanup.push(() => notifier.stop());
  const rows = (channel?: string): OutboxRow[] => listOutbox(db, { channel }).reverse();
  return { db, log, clock, notifier, rows };
}

type NotifyChannelInput = NonNullable<NotifyConfigInput['channels']>[number];

const webhookBody = (r: Received) => JSON.parse(r.body) as WebhookBody;

describe('notifier', () => {
  it('delivers openings and closings to webhook, ntfy and email, in order, from the worker loop', async () => {
    const hook = await httpReceiver();
    const ntfy = await httpReceiver();
    const smtp = await smtpReceiver({ user: 'hub', pass: 'smtp-secret' });
    const { notifier, rows } = setup(
      {
        channels: [
          { name: 'hook', type: 'webhook', url: `${hook.url}/alerts`, headers: { authorization: 'Bearer hook-token' } },
          { name: 'phone', type: 'ntfy', server: ntfy.url, topic: 'fleet', token: 'tk_ntfy' },
          { name: 'mail', type: 'email', host: '127.0.0.1', port: smtp.port, security: 'none', username: 'hub', password: 'smtp-secret', from: 'hub@example.com', to: ['ops@example.com', 'root@localhost'] },
        ],
      },
      { now: Date.now, pollInterval: 20 },
    );
    notifier.start();
    const alert = makeAlert();
    notifier.alertOpened(alert);
    notifier.alertClosed(alert, T0 + 125_000);

    await waitFor(() => (hook.received.length === 2 && ntfy.received.length === 2 && smtp.mails.length === 2) || undefined, 'two notices on each channel');

    expect(hook.received.map(webhookBody)).toEqual([
      { event: 'alert.opened', alert },
      { event: 'alert.closed', alert, closedAt: T0 + 125_000 },
    ]);
    const [opened, closed] = hook.received;
    expect(opened!.path).toBe('/alerts');
    expect(opened!.headers).toMatchObject({ authorization: 'Bearer hook-token', 'content-type': 'application/json' });
    expect(opened!.headers['idempotency-key']).not.toBe(closed!.headers['idempotency-key']);

    expect(ntfy.received.map((r) => [r.path, r.headers.title, r.headers.priority, r.headers.tags, r.headers.authorization])).toEqual([
      ['/fleet', 'ALERT: service down on web-1: nginx.service', '4', 'rotating_light,service_down', 'Bearer tk_ntfy'],
      ['/fleet', 'RESOLVED: service down on web-1: nginx.service', '3', 'white_check_mark,service_down', 'Bearer tk_ntfy'],
    ]);
    expect(ntfy.received[1]!.body).toContain('(after 3m 5s)');

    expect(smtp.logins).toEqual({ ok: 2, refused: 0 });
    expect(smtp.mails.map((m) => [m.from, m.to])).toEqual([
      ['hub@example.com', ['ops@example.com', 'root@localhost']],
      ['hub@example.com', ['ops@example.com', 'root@localhost']],
    ]);
    expect(smtp.mails[0]!.data).toMatch(/^Subject: \[sitrep\] ALERT: service down on web-1: nginx\.service$/m);
    expect(smtp.mails[1]!.data).toMatch(/^Subject: \[sitrep\] RESOLVED: service down on web-1: nginx\.service$/m);
    expect(smtp.mails[0]!.data).toContain('nginx.service is failed (expected running)');

    await waitFor(() => (rows().every((r) => r.delivered_at !== null) ? true : undefined), 'every row marked delivered');
    expect(rows().map((r) => [r.channel, r.kind, r.attempts])).toEqual([
      ['hook', 'opened', 1],
      ['phone', 'opened', 1],
      ['mail', 'opened', 1],
      ['hook', 'closed', 1],
      ['phone', 'closed', 1],
      ['mail', 'closed', 1],
    ]);
  });

  it('retries a webhook that fails twice with growing backoff, and delivers it once', async () => {
    const hook = await httpReceiver((n) => (n < 2 ? 500 : 204));
    const { notifier, rows, log } = setup(
      { channels: [{ name: 'hook', type: 'webhook', url: hook.url }], retry: { initialDelay: '40ms', maxDelay: '1s' } },
      { now: Date.now, pollInterval: 5 },
    );
    notifier.start();
    notifier.alertOpened(makeAlert());

    await waitFor(() => (rows()[0]?.delivered_at != null ? true : undefined), 'delivered');
    expect(hook.received).toHaveLength(3);
    const [a, b, c] = hook.received.map((r) => r.at);
    // random() = 0.5: no jitter, so 40 ms then 80 ms (timers may fire a millisecond early).
    expect(b! - a!).toBeGreaterThanOrEqual(38);
    expect(c! - b!).toBeGreaterThanOrEqual(78);
    expect(new Set(hook.received.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(rows()[0]).toMatchObject({ attempts: 3, last_error: 'NOTIFY_HTTP_STATUS: HTTP 500', given_up_at: null });
    expect(log.lines.filter((l) => l.includes('delivery failed, will retry'))).toHaveLength(2);

    await notifier.flush();
    expect(hook.received).toHaveLength(3);
  });

  it('keeps the notices of one alert in order across retries, without holding up other alerts', async () => {
    const hook = await httpReceiver((n) => (n === 0 ? 500 : 200));
    const { notifier, clock } = setup({ channels: [{ name: 'hook', type: 'webhook', url: hook.url }] });
    const seen = () => hook.received.map((r) => `${webhookBody(r).event} ${webhookBody(r).alert.node}`);
    const a = makeAlert();
    notifier.alertOpened(a);
    notifier.alertClosed(a, T0 + 1000);
    await notifier.flush();
    notifier.alertOpened(makeAlert({ id: 'node_lost:db-1', kind: 'node_lost', node: 'db-1', target: null }));
    await notifier.flush();
    // web-1's opening failed: its closing waits behind it; db-1 is not held up.
    expect(seen()).toEqual(['alert.opened web-1', 'alert.opened db-1']);
    clock.now += 10_000;
    await notifier.flush();
    expect(seen()).toEqual(['alert.opened web-1', 'alert.opened db-1', 'alert.opened web-1', 'alert.closed web-1']);
  });

  it('gives up after maxAttempts and records it', async () => {
    const hook = await httpReceiver(() => 503);
    const { notifier, rows, clock, log } = setup({ channels: [{ name: 'hook', type: 'webhook', url: hook.url }], retry: { maxAttempts: 3 } });
    notifier.alertOpened(makeAlert());
    for (let i = 0; i < 5; i++) {
      await notifier.flush();
      clock.now += 15 * 60_000;
    }
    expect(hook.received).toHaveLength(3);
    expect(rows()[0]).toMatchObject({ attempts: 3, delivered_at: null, last_error: 'NOTIFY_HTTP_STATUS: HTTP 503' });
    expect(rows()[0]!.given_up_at).toBe(T0 + 2 * 15 * 60_000);
    expect(log.lines.filter((l) => l.includes('gave up on a notification'))).toEqual([
      'projector/notify error gave up on a notification channel=hook alert=service_down:web-1:nginx.service kind=opened attempt=3 error="NOTIFY_HTTP_STATUS: HTTP 503"',
    ]);
  });

  it('never lets a hanging channel hold up another, and times the hanging one out', async () => {
    const slow = await httpReceiver(() => 'hang');
    const ntfy = await httpReceiver();
    const { notifier, rows } = setup(
      {
        channels: [
          { name: 'slow', type: 'webhook', url: slow.url, timeout: '500ms' },
          { name: 'phone', type: 'ntfy', server: ntfy.url, topic: 'fleet' },
        ],
      },
      { now: Date.now, pollInterval: 10 },
    );
    notifier.start();
    const started = Date.now();
    for (let i = 0; i < 5; i++) notifier.alertOpened(makeAlert({ id: `node_lost:n${i}`, kind: 'node_lost', node: `n${i}`, target: null }));
    expect(Date.now() - started).toBeLessThan(100); // enqueueing only: the caller never waits for delivery

    await waitFor(() => (ntfy.received.length === 5 ? true : undefined), 'ntfy got all five while the webhook hangs');
    expect(slow.received.length).toBeLessThanOrEqual(2); // bounded concurrency per channel
    await waitFor(() => (rows('slow').some((r) => r.last_error !== null) ? true : undefined), 'a webhook timeout recorded');
    expect(rows('slow').find((r) => r.last_error !== null)!.last_error).toBe('NOTIFY_TIMEOUT: no answer within 500 ms');
  });

  it('on stop, aborts a running delivery and leaves it to be sent after the next start', async () => {
    const slow = await httpReceiver(() => 'hang');
    const { notifier, rows } = setup({ channels: [{ name: 'slow', type: 'webhook', url: slow.url, timeout: '30s' }] }, { now: Date.now, pollInterval: 10 });
    notifier.start();
    notifier.alertOpened(makeAlert());
    await waitFor(() => (slow.received.length === 1 ? true : undefined), 'the request arrived');
    const t = Date.now();
    await notifier.stop();
    expect(Date.now() - t).toBeLessThan(1000);
    expect(rows()[0]).toMatchObject({ attempts: 0, claimed_at: null, delivered_at: null, given_up_at: null });
  });

  describe('quiet hours (22:00-07:00 UTC)', () => {
    const quietHours = { from: '22:00', to: '07:00', timezone: 'UTC' };
    const night = Date.parse('2025-01-10T23:00:00Z');
    const morning = Date.parse('2025-01-11T07:00:00Z');

    it('holds an opening and delivers it when they end', async () => {
      const hook = await httpReceiver();
      const { notifier, clock, rows } = setup({ channels: [{ name: 'hook', type: 'webhook', url: hook.url }], quietHours });
      clock.now = night;
      notifier.alertOpened(makeAlert({ openedAt: night }));
      await notifier.flush();
      clock.now = Date.parse('2025-01-11T06:59:00Z');
      await notifier.flush();
      expect(hook.received).toHaveLength(0);
      expect(rows()[0]).toMatchObject({ attempts: 0, delivered_at: null });

      clock.now = morning;
      await notifier.flush();
      expect(hook.received.map((r) => webhookBody(r).event)).toEqual(['alert.opened']);
      expect(rows()[0]!.delivered_at).toBe(morning);
    });

    it('cancels a held opening when the alert closes before they end', async () => {
      const hook = await httpReceiver();
      const { notifier, clock, rows, log } = setup({ channels: [{ name: 'hook', type: 'webhook', url: hook.url }], quietHours, repeat: '1h' });
      clock.now = night;
      const blip = makeAlert({ openedAt: night });
      notifier.alertOpened(blip);
      clock.now = night + 5 * 60_000;
      notifier.alertClosed(blip, clock.now);
      notifier.alertClosed(blip, clock.now);
      clock.now = morning;
      await notifier.flush();
      clock.now = morning + 3 * 3_600_000;
      await notifier.flush();

      expect(hook.received).toHaveLength(0);
      expect(rows().map((r) => [r.kind, r.cancelled_at])).toEqual([['opened', night + 5 * 60_000]]);
      expect(log.lines.some((l) => l.includes('held opening cancelled') && l.includes(`alert=${blip.id}`))).toBe(true);
    });

    it('holds the closing of an alert announced before they began', async () => {
      const hook = await httpReceiver();
      const { notifier, clock } = setup({ channels: [{ name: 'hook', type: 'webhook', url: hook.url }], quietHours });
      const evening = Date.parse('2025-01-10T21:00:00Z');
      clock.now = evening;
      const alert = makeAlert({ openedAt: evening });
      notifier.alertOpened(alert);
      await notifier.flush();
      clock.now = night;
      notifier.alertClosed(alert, night);
      await notifier.flush();
      expect(hook.received.map((r) => webhookBody(r).event)).toEqual(['alert.opened']);
      clock.now = morning;
      await notifier.flush();
      expect(hook.received.map((r) => webhookBody(r).event)).toEqual(['alert.opened', 'alert.closed']);
    });
  });

  it('reminds of a still-open alert every repeat interval until it closes', async () => {
    const hook = await httpReceiver();
    const { notifier, clock, rows } = setup({ channels: [{ name: 'hook', type: 'webhook', url: hook.url }], repeat: '1h' });
    const events = () => hook.received.map((r) => webhookBody(r).event);
    const alert = makeAlert();
    notifier.alertOpened(alert);
    await notifier.flush();
    clock.now = T0 + 59 * 60_000;
    await notifier.flush();
    expect(events()).toEqual(['alert.opened']);
    clock.now = T0 + 60 * 60_000;
    await notifier.flush();
    clock.now = T0 + 120 * 60_000;
    await notifier.flush();
    expect(events()).toEqual(['alert.opened', 'alert.repeat', 'alert.repeat']);
    expect(webhookBody(hook.received[2]!).alert).toEqual(alert);

    clock.now = T0 + 150 * 60_000;
    notifier.alertClosed(alert, clock.now);
    await notifier.flush();
    clock.now = T0 + 10 * 60 * 60_000;
    await notifier.flush();
    expect(events()).toEqual(['alert.opened', 'alert.repeat', 'alert.repeat', 'alert.closed']);
    expect(rows().map((r) => [r.kind, r.delivered_at === null ? 'cancelled' : 'delivered'])).toEqual([
      ['opened', 'delivered'],
      ['repeat', 'delivered'],
      ['repeat', 'delivered'],
      ['repeat', 'cancelled'],
      ['closed', 'delivered'],
    ]);
  });

  it('enqueues in the caller transaction, once per alert occurrence', async () => {
    const hook = await httpReceiver();
    const { notifier, db, rows } = setup({ channels: [{ name: 'a', type: 'webhook', url: hook.url }, { name: 'b', type: 'webhook', url: hook.url }] });
    const alert = makeAlert();
    expect(() =>
      db.transaction(() => {
        notifier.alertOpened(alert);
        throw new Error('the projector failed to record AlertOpened');
      })(),
    ).toThrow('the projector failed');
    expect(rows()).toHaveLength(0);

    db.transaction(() => notifier.alertOpened(alert))();
    notifier.alertOpened(alert);
    notifier.alertClosed(alert, T0 + 1000);
    notifier.alertClosed(alert, T0 + 1000);
    expect(rows().map((r) => [r.channel, r.kind])).toEqual([
      ['a', 'opened'],
      ['b', 'opened'],
      ['a', 'closed'],
      ['b', 'closed'],
    ]);
    // Reopened later: a new occurrence, notified again.
    notifier.alertOpened({ ...alert, openedAt: T0 + 5000 });
    expect(rows()).toHaveLength(6);
    await notifier.flush();
    expect(hook.received).toHaveLength(6);
  });

  it('never logs or records the SMTP password', async () => {
    const password = 'pa55-Very-Secret';
    const smtp = await smtpReceiver({ user: 'hub', pass: password });
    const dir = mkdtempSync(join(tmpdir(), 'sitrep-notify-'));
    const wrongFile = join(dir, 'wrong');
    writeFileSync(wrongFile, 'wrong-Secret-42\n', { mode: 0o600 });
    const rightFile = join(dir, 'right');
    writeFileSync(rightFile, `${password}\n`, { mode: 0o600 });
    const channel = (name: string, passwordFile: string): NotifyChannelInput => ({
      name,
      type: 'email',
      host: '127.0.0.1',
      port: smtp.port,
      security: 'none',
      username: 'hub',
      passwordFile,
      from: 'hub@example.com',
      to: ['ops@example.com'],
    });
    const { notifier, log, db, clock } = setup({ channels: [channel('bad', wrongFile), channel('good', rightFile)], retry: { maxAttempts: 2 } });
    notifier.alertOpened(makeAlert());
    await notifier.flush();
    clock.now += 60_000;
    await notifier.flush();

    expect(smtp.logins).toEqual({ ok: 1, refused: 2 });
    expect(smtp.mails).toHaveLength(1);
    const bad = listOutbox(db, { channel: 'bad' })[0]!;
    expect(bad.given_up_at).not.toBeNull();
    expect(bad.last_error).toMatch(/^NOTIFY_SMTP: /);
    const everything = [...log.lines, ...listOutbox(db).map((r) => `${r.last_error} ${r.payload}`)].join('\n');
    expect(everything).toContain('gave up on a notification channel=bad');
    for (const secret of [password, 'wrong-Secret-42']) {
      for (const form of [secret, Buffer.from(secret).toString('base64'), Buffer.from(`\u0000hub\u0000${secret}`).toString('base64')]) {
        expect(everything).not.toContain(form);
      }
    }
  });

  it('refuses to start with an unreadable password file, naming the channel', () => {
    const config = NotifyConfig.parse({
      channels: [{ name: 'mail', type: 'email', host: 'smtp.example.com', username: 'hub', passwordFile: '/nonexistent/pw', from: 'a@example.com', to: ['b@example.com'] }],
    });
    const db = openDatabase(':memory:');
    cleanup.push(() => db.close());
    expect(() => createNotifier({ db, config, log: memoryLogger() })).toThrow(
      /notification channel mail is invalid:\n {2}- passwordFile: cannot read \/nonexistent\/pw: ENOENT/,
    );
  });

  it('gives up rows of channels that are no longer configured', async () => {
    const hook = await httpReceiver();
    const first = setup({ channels: [{ name: 'old', type: 'webhook', url: hook.url }] });
    first.notifier.alertOpened(makeAlert());
    const log = memoryLogger('projector');
    const next = createNotifier({ db: first.db, config: NotifyConfig.parse({ channels: [{ name: 'new', type: 'webhook', url: hook.url }] }), log });
    cleanup.push(() => next.stop());
    next.start();
    expect(first.rows('old')[0]).toMatchObject({ last_error: 'NOTIFY_NO_CHANNEL: channel is not configured' });
    expect(first.rows('old')[0]!.given_up_at).not.toBeNull();
    expect(log.lines.some((l) => l.includes('no longer configured') && l.includes('count=1'))).toBe(true);
  });
});
