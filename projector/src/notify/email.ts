/**
 * Email channel: one plain-text message per notification over SMTP (nodemailer, one connection per
 * message). The password is read once, at creation, and never leaves this file except to the SMTP
 * server: error texts are scrubbed of it (plain and base64, as AUTH PLAIN/LOGIN send it).
 */
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { ConfigError } from '@sitrep/schemas/config';
import { rejectOnAbort, withTimeout } from './abort.js';
import type { Channel } from './channel.js';
import type { EmailChannel } from './config.js';
import { NotifyError, type NotifyErrorCode } from './errors.js';
import { notificationText } from './message.js';

export interface MailMessage {
  from: string;
  to: string[];
  subject: string;
  text: string;
}

/** Replaces the SMTP transport (tests, or a hub that hands mail to something else). */
export type SendMail = (channel: string, mail: MailMessage, signal: AbortSignal) => Promise<void>;

const DEFAULT_PORT = { tls: 465, starttls: 587, none: 25 } as const;

export function createEmailChannel(config: EmailChannel, sendMail?: SendMail): Channel {
  const password = readPassword(config);
  const secrets = password === undefined ? [] : secretForms(config.username ?? '', password);
  const mailer = sendMail === undefined ? smtpMailer(config, password) : { send: sendMail, close() {} };

  return {
    name: config.name,
    async send(d, stop) {
      const text = notificationText(d);
      const mail: MailMessage = { from: config.from, to: config.to, subject: `[sitrep] ${text.title}`, text: text.body };
      const signal = withTimeout(stop, config.timeout);
      const aborted = rejectOnAbort(signal, config.timeout);
      try {
        await Promise.race([mailer.send(config.name, mail, signal), aborted.promise]);
      } catch (err) {
        throw smtpError(err, secrets);
      } finally {
        aborted.settled();
      }
    },
    close() {
      mailer.close();
    },
  };
}

function smtpMailer(config: EmailChannel, password: string | undefined): { send: SendMail; close(): void } {
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port ?? DEFAULT_PORT[config.security],
    secure: config.security === 'tls',
    requireTLS: config.security === 'starttls',
    ignoreTLS: config.security === 'none',
    auth: config.username === undefined ? undefined : { user: config.username, pass: password },
    connectionTimeout: config.timeout,
    greetingTimeout: config.timeout,
    socketTimeout: config.timeout,
    logger: false,
    debug: false,
  });
  return {
    async send(_channel, mail) {
      await transport.sendMail(mail);
    },
    close: () => transport.close(),
  };
}

function readPassword(config: EmailChannel): string | undefined {
  if (config.password !== undefined) return config.password;
  if (config.passwordFile === undefined) return undefined;
  const source = `notification channel ${config.name}`;
  let secret: string;
  try {
    secret = readFileSync(config.passwordFile, 'utf8').replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConfigError(source, [`passwordFile: cannot read ${config.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  if (secret === '') throw new ConfigError(source, [`passwordFile: ${config.passwordFile} is empty`]);
  return secret;
}

/** The password as it may appear in an SMTP exchange: plain, base64 (LOGIN), `\0user\0pass` base64 (PLAIN). */
function secretForms(username: string, password: string): string[] {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
  return [password, b64(password), b64(`\u0000${username}\u0000${password}`)];
}

function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  return out;
}

/** nodemailer error codes (err.code) to ours. */
const SMTP_CODES: Record<string, NotifyErrorCode> = {
  EAUTH: 'NOTIFY_SMTP',
  EENVELOPE: 'NOTIFY_SMTP',
  EMESSAGE: 'NOTIFY_SMTP',
  EPROTOCOL: 'NOTIFY_SMTP',
  ETIMEDOUT: 'NOTIFY_TIMEOUT',
  ECONNECTION: 'NOTIFY_NETWORK',
  ESOCKET: 'NOTIFY_NETWORK',
  EDNS: 'NOTIFY_NETWORK',
  ETLS: 'NOTIFY_NETWORK',
};

function smtpError(err: unknown, secrets: readonly string[]): NotifyError {
  if (err instanceof NotifyError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  const mapped = (typeof code === 'string' ? SMTP_CODES[code] : undefined) ?? 'NOTIFY_FAILED';
  const message = scrub(err instanceof Error ? err.message : String(err), secrets).slice(0, 300);
  // The cause is not kept: nodemailer errors can carry the SMTP command that held the credentials.
  return new NotifyError(mapped, message);
}
