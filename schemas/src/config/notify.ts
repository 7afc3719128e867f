/**
 * The hub's `notifications` section: where alert openings and closings are sent, when not to send
 * them (quiet hours), how often to remind (repeat) and how hard to try (retry).
 *
 * Delivery is at least once: a receiver may see the same notification twice after a crash or a
 * timeout that hid a success.
 */
import { z } from 'zod';
import { AlertKind } from '../payloads/hub.js';
import { Duration as DurationSchema } from './primitives.js';

// index.ts re-exports this file, so at load time its bindings may not exist yet: read them late.
const Duration = z.lazy(() => DurationSchema);

const HttpUrl = z.url({ protocol: /^https?$/, message: 'must be an http:// or https:// URL' });

/** `name@domain`; no display names, no domain checks (a local relay may deliver to `root@localhost`). */
const EmailAddress = z.string().max(320).regex(/^[^\s@<>,;"]+@[^\s@<>,;"]+$/, 'must be an address such as ops@example.com');

export const ChannelName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'letters, digits, _ . - (max 64), e.g. ops-webhook');

/** HTTP header name (RFC 9110 token). */
const HeaderName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/, 'must be an HTTP header name');

export const WebhookChannel = z.strictObject({
  name: ChannelName,
  type: z.literal('webhook'),
  /** Receives a JSON POST: `{ event: 'alert.opened'|'alert.closed'|'alert.repeat', alert, closedAt? }`. Never logged. */
  url: HttpUrl,
  /** Sent with every request (e.g. `Authorization`). Values are never logged. */
  headers: z.record(HeaderName, z.string().max(4096)).default({}),
  /** Per request; a request past it is a failed attempt. Default 10 s. */
  timeout: Duration.default(10_000),
});
export type WebhookChannel = z.output<typeof WebhookChannel>;

const ALERT_KINDS = AlertKind.anyOf.map((k) => k.const) as [AlertKindName, ...AlertKindName[]];
type AlertKindName = (typeof AlertKind.anyOf)[number]['const'];

/** ntfy priority: 1 (min) .. 5 (max/urgent), or its name. Result: 1..5. */
export const NtfyPriority = z.union([
  z.number().int().min(1).max(5),
  z.enum(['min', 'low', 'default', 'high', 'max', 'urgent']).transform((p) => NTFY_PRIORITY[p]),
]);
const NTFY_PRIORITY = { min: 1, low: 2, default: 3, high: 4, max: 5, urgent: 5 } as const;

export const NtfyChannel = z.strictObject({
  name: ChannelName,
  type: z.literal('ntfy'),
  server: HttpUrl.default('https://ntfy.sh'),
  /** ntfy topic names: letters, digits, _ and - (max 64). */
  topic: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - (max 64)'),
  /** Access token, sent as `Authorization: Bearer`. Never logged. */
  token: z.string().min(1).max(1024).optional(),
  priority: z
    .strictObject({
      opened: NtfyPriority.default(4),
      repeat: NtfyPriority.default(4),
      closed: NtfyPriority.default(3),
      /** Overrides `opened` and `repeat` for these alert kinds, e.g. `{ node_lost: urgent }`. */
      byKind: z.partialRecord(z.enum(ALERT_KINDS), NtfyPriority).default({}),
    })
    .prefault({}),
  timeout: Duration.default(10_000),
});
export type NtfyChannel = z.output<typeof NtfyChannel>;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export const EmailChannel = z
  .strictObject({
    name: ChannelName,
    type: z.literal('email'),
    /** SMTP server. */
    host: z.string().min(1).max(255),
    /** Default: 465 for `tls`, 587 for `starttls`, 25 for `none`. */
    port: z.number().int().min(1).max(65_535).optional(),
    /**
     * `tls`: TLS from the first byte (usually port 465). `starttls`: plain connect, then STARTTLS,
     * required (usually 587). `none`: never TLS; only allowed with a password for a relay on this host.
     */
    security: z.enum(['tls', 'starttls', 'none']).default('starttls'),
    username: z.string().min(1).max(256).optional(),
    /** Prefer `passwordFile`; either way the password is never logged. */
    password: z.string().min(1).max(1024).optional(),
    /** A file holding the password (trailing newline ignored), read when the notifier starts. */
    passwordFile: z.string().min(1).optional(),
    from: EmailAddress,
    to: z.array(EmailAddress).min(1).max(50),
    /** For the whole SMTP exchange of one message. Default 30 s. */
    timeout: Duration.default(30_000),
  })
  .refine((c) => !(c.password !== undefined && c.passwordFile !== undefined), {
    message: 'set password or passwordFile, not both',
    path: ['password'],
  })
  .refine((c) => (c.username === undefined) === (c.password === undefined && c.passwordFile === undefined), {
    message: 'username and a password (password or passwordFile) go together',
    path: ['username'],
  })
  .refine((c) => c.username === undefined || c.security !== 'none' || LOOPBACK_HOSTS.has(c.host), {
    message: 'a password is only sent without TLS to a relay on this host (localhost); use security: starttls or tls',
    path: ['security'],
  });
export type EmailChannel = z.output<typeof EmailChannel>;

export const NotifyChannel = z.discriminatedUnion('type', [WebhookChannel, NtfyChannel, EmailChannel]);
export type NotifyChannel = z.output<typeof NotifyChannel>;

const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/;
const TimeOfDay = z.string().regex(TIME_OF_DAY, 'must be HH:MM (24 h), e.g. 22:00');

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch (err) {
    if (err instanceof RangeError) return false;
    throw err;
  }
}

/**
 * While quiet, nothing is delivered: openings, closings and reminders are held and delivered when
 * quiet hours end. An alert that closes during quiet hours while its opening is still undelivered
 * (held) is dropped on that channel, opening and closing, so nobody is woken, or greeted in the
 * morning, by a blip.
 * `from` > `to` spans midnight (22:00 → 07:00). There is no urgent bypass.
 */
export const QuietHours = z
  .strictObject({
    from: TimeOfDay,
    to: TimeOfDay,
    /** IANA zone such as Europe/Berlin; default: the hub's local time zone. */
    timezone: z.string().refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin').optional(),
  })
  .refine((q) => q.from !== q.to, { message: 'from and to are equal: the window would be empty', path: ['to'] });
export type QuietHours = z.output<typeof QuietHours>;

export const NotifyRetry = z.strictObject({
  /** Attempts per notification and channel, the first included; then it is given up (and logged). */
  maxAttempts: z.number().int().min(1).max(100).default(8),
  /** Wait after the first failure; doubled after each further one, ±20 % jitter. */
  initialDelay: Duration.default(5_000),
  /** The wait never exceeds this. */
  maxDelay: Duration.default(900_000),
});
export type NotifyRetry = z.output<typeof NotifyRetry>;

export const NotifyConfig = z
  .strictObject({
    channels: z.array(NotifyChannel).max(32).default([]),
    quietHours: QuietHours.optional(),
    /** Remind of a still-open alert this long after the last notice for it; absent: never. At least 1 min. */
    repeat: Duration.refine((ms) => ms >= 60_000, 'must be at least 1m').optional(),
    retry: NotifyRetry.prefault({}),
  })
  .refine((c) => new Set(c.channels.map((ch) => ch.name)).size === c.channels.length, {
    message: 'two channels have the same name',
    path: ['channels'],
  });
export type NotifyConfigInput = z.input<typeof NotifyConfig>;
export type NotifyConfig = z.output<typeof NotifyConfig>;
