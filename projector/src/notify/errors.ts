/** Why a notification was not delivered. Messages never hold a URL path, a header value or a password. */
export type NotifyErrorCode =
  /** The receiver answered with a status outside 2xx. */
  | 'NOTIFY_HTTP_STATUS'
  /** No answer within the channel's timeout. */
  | 'NOTIFY_TIMEOUT'
  /** Connection refused or reset, DNS failure, TLS failure. */
  | 'NOTIFY_NETWORK'
  /** The SMTP server refused the login, the sender, a recipient or the message. */
  | 'NOTIFY_SMTP'
  /** The notifier was stopped while the delivery ran; it is tried again after the next start. */
  | 'NOTIFY_STOPPED'
  /** The channel is not (or no longer) in the configuration. */
  | 'NOTIFY_NO_CHANNEL'
  /** Anything else; the message says what. */
  | 'NOTIFY_FAILED';

export class NotifyError extends Error {
  override readonly name = 'NotifyError';

  constructor(
    readonly code: NotifyErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export function asNotifyError(err: unknown): NotifyError {
  if (err instanceof NotifyError) return err;
  return new NotifyError('NOTIFY_FAILED', err instanceof Error ? err.message : String(err), { cause: err });
}

/** `CODE: message`, as stored in `notify_outbox.last_error` and logged. */
export function describeError(err: NotifyError): string {
  return `${err.code}: ${err.message}`.slice(0, 1000);
}
