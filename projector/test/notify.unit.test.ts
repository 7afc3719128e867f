import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '@sitrep/schemas/config';
import { backoffDelay } from '../src/notify/backoff.js';
import { NotifyConfig, type NotifyConfigInput } from '../src/notify/config.js';
import { duration, notificationText } from '../src/notify/message.js';
import { ntfyPriority } from '../src/notify/ntfy.js';
import { quietHoursCheck } from '../src/notify/quiet-hours.js';

const problems = (raw: unknown): string[] => {
  try {
    parseConfig(NotifyConfig, raw, 'hub.yaml notifications');
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('config was accepted');
};

const email = { name: 'mail', type: 'email', host: 'smtp.example.com', from: 'hub@example.com', to: ['ops@example.com'] } as const;

describe('NotifyConfig', () => {
  it('fills defaults and turns durations and priority names into numbers', () => {
    const input: NotifyConfigInput = {
      channels: [
        { name: 'hook', type: 'webhook', url: 'https://hooks.example.com/x', timeout: '3s' },
        { name: 'phone', type: 'ntfy', topic: 'fleet', priority: { opened: 'urgent', byKind: { node_lost: 'max' } } },
        { ...email, username: 'hub', passwordFile: '/etc/sitrep/smtp-password', to: ['ops@example.com'] },
      ],
      quietHours: { from: '22:00', to: '07:00', timezone: 'Europe/Berlin' },
      repeat: '4h',
    };
    const c = NotifyConfig.parse(input);
    expect(c.retry).toEqual({ maxAttempts: 8, initialDelay: 5_000, maxDelay: 900_000 });
    expect(c.repeat).toBe(4 * 3_600_000);
    expect(c.channels[0]).toEqual({ name: 'hook', type: 'webhook', url: 'https://hooks.example.com/x', headers: {}, timeout: 3000 });
    expect(c.channels[1]).toMatchObject({ server: 'https://ntfy.sh', timeout: 10_000, priority: { opened: 5, repeat: 4, closed: 3, byKind: { node_lost: 5 } } });
    expect(c.channels[2]).toMatchObject({ security: 'starttls', timeout: 30_000 });
    expect(NotifyConfig.parse({})).toEqual({ channels: [], retry: { maxAttempts: 8, initialDelay: 5000, maxDelay: 900_000 } });
  });

  it('refuses unknown keys and bad values, naming the field', () => {
    expect(problems({ channels: [{ name: 'hook', type: 'webhook', url: 'https://x.example', retries: 3 }] })).toEqual([
      'channels.0: Unrecognized key: "retries"',
    ]);
    expect(problems({ channels: [{ name: 'hook', type: 'webhook', url: 'ftp://x.example' }] })).toEqual([
      'channels.0.url: must be an http:// or https:// URL',
    ]);
    expect(problems({ channels: [{ name: 'hook', type: 'sms', url: 'https://x.example' }] })[0]).toMatch(/^channels\.0\.type: /);
    expect(problems({ channels: [{ name: 'p', type: 'ntfy', topic: 'a/b' }] })[0]).toMatch(/^channels\.0\.topic: /);
    expect(problems({ channels: [{ name: 'p', type: 'ntfy', topic: 't', priority: { byKind: { disk_full: 5 } } }] })[0]).toMatch(
      /^channels\.0\.priority\.byKind/,
    );
    expect(problems({ quietHours: { from: '22:00', to: '7am' } })).toEqual(['quietHours.to: must be HH:MM (24 h), e.g. 22:00']);
    expect(problems({ quietHours: { from: '22:00', to: '07:00', timezone: 'Mars/Olympus' } })).toEqual([
      'quietHours.timezone: must be an IANA time zone such as Europe/Berlin',
    ]);
    expect(problems({ quietHours: { from: '22:00', to: '22:00' } })[0]).toMatch(/^quietHours\.to: /);
    expect(problems({ repeat: '30s' })).toEqual(['repeat: must be at least 1m']);
    expect(problems({ retry: { maxAttempts: 0 } })[0]).toMatch(/^retry\.maxAttempts: /);
    expect(problems({ retry: { initialDelay: 'soon' } })[0]).toMatch(/^retry\.initialDelay: "soon" is not a duration/);
    expect(problems({ channels: [{ ...email, name: 'a' }, { ...email, name: 'a' }] })).toEqual(['channels: two channels have the same name']);
  });

  it('checks email credentials and TLS', () => {
    expect(problems({ channels: [{ ...email, username: 'hub' }] })).toEqual([
      'channels.0.username: username and a password (password or passwordFile) go together',
    ]);
    expect(problems({ channels: [{ ...email, username: 'hub', password: 'x', passwordFile: '/f' }] })).toEqual([
      'channels.0.password: set password or passwordFile, not both',
    ]);
    expect(problems({ channels: [{ ...email, username: 'hub', password: 'x', security: 'none' }] })[0]).toMatch(/^channels\.0\.security: /);
    expect(problems({ channels: [{ ...email, to: [] }] })[0]).toMatch(/^channels\.0\.to: /);
    expect(problems({ channels: [{ ...email, to: ['not an address'] }] })[0]).toMatch(/^channels\.0\.to\.0: /);
    // A password over plain SMTP is fine to a relay on this host.
    expect(() => NotifyConfig.parse({ channels: [{ ...email, host: '127.0.0.1', username: 'hub', password: 'x', security: 'none' }] })).not.toThrow();
  });
});

describe('backoffDelay', () => {
  const retry = { initialDelay: 5_000, maxDelay: 900_000 };
  it('doubles from the initial delay up to the cap', () => {
    const mid = () => 0.5; // jitter factor 1
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 20].map((n) => backoffDelay(n, retry, mid))).toEqual([
      5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000, 900_000, 900_000,
    ]);
  });
  it('jitters by at most 20 % and never past the cap', () => {
    expect(backoffDelay(1, retry, () => 0)).toBe(4_000);
    expect(backoffDelay(1, retry, () => 0.999_999)).toBe(6_000);
    expect(backoffDelay(30, retry, () => 0.999_999)).toBe(900_000);
  });
});

describe('quiet hours', () => {
  const at = (iso: string) => Date.parse(iso);
  it('spans midnight when from > to, in the given time zone', () => {
    const quiet = quietHoursCheck({ from: '22:00', to: '07:00', timezone: 'Europe/Berlin' }); // UTC+1 in January
    expect(quiet(at('2025-01-10T20:59:00Z'))).toBe(false);
    expect(quiet(at('2025-01-10T21:00:00Z'))).toBe(true);
    expect(quiet(at('2025-01-11T05:59:00Z'))).toBe(true);
    expect(quiet(at('2025-01-11T06:00:00Z'))).toBe(false);
  });
  it('handles a window inside one day, and none at all', () => {
    const quiet = quietHoursCheck({ from: '12:00', to: '13:30', timezone: 'UTC' });
    expect([at('2025-01-10T11:59:00Z'), at('2025-01-10T12:00:00Z'), at('2025-01-10T13:29:00Z'), at('2025-01-10T13:30:00Z')].map(quiet)).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(quietHoursCheck(undefined)(at('2025-01-10T03:00:00Z'))).toBe(false);
  });
});

describe('notification text', () => {
  const alert = {
    id: 'service_down:web-1:nginx.service',
    kind: 'service_down' as const,
    node: 'web-1',
    target: 'nginx.service',
    since: Date.parse('2025-01-10T10:00:00Z'),
    openedAt: Date.parse('2025-01-10T10:00:30Z'),
    message: 'nginx.service is failed (expected running)',
  };
  it('says what, where, and for how long', () => {
    const closed = notificationText({ id: 1, event: 'alert.closed', alert, closedAt: Date.parse('2025-01-10T12:05:00Z') });
    expect(closed.title).toBe('RESOLVED: service down on web-1: nginx.service');
    expect(closed.body).toContain('nginx.service is failed (expected running)');
    expect(closed.body).toContain('closed: 2025-01-10T12:05:00Z (after 2h 5m)');
    expect(notificationText({ id: 1, event: 'alert.opened', alert: { ...alert, target: null } }).title).toBe('ALERT: service down on web-1');
    expect([0, 12_000, 303_000, 90_061_000].map(duration)).toEqual(['0s', '12s', '5m 3s', '1d 1h']);
  });
  it('maps ntfy priorities by event and alert kind', () => {
    const cfg = NotifyConfig.parse({ channels: [{ name: 'p', type: 'ntfy', topic: 't', priority: { byKind: { service_down: 'urgent' } } }] })
      .channels[0];
    if (cfg?.type !== 'ntfy') throw new Error('expected an ntfy channel');
    expect(ntfyPriority(cfg, { id: 1, event: 'alert.opened', alert })).toBe(5);
    expect(ntfyPriority(cfg, { id: 1, event: 'alert.closed', alert, closedAt: 1 })).toBe(3);
    expect(ntfyPriority(cfg, { id: 1, event: 'alert.repeat', alert: { ...alert, kind: 'node_stale' } })).toBe(4);
  });
});
