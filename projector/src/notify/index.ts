export { createNotifier, OUTBOX_RETENTION_MS, type Notifier, type NotifierOptions } from './notifier.js';
export { NOTIFY_OUTBOX_DDL, notifyOutbox, listOutbox, type OutboxRow, type OutboxPayload, type OutboxFilter } from './outbox.js';
export type { Channel, Delivery, NotifyEvent, NotifyKind } from './channel.js';
export type { SendMail, MailMessage } from './email.js';
export type { WebhookBody } from './webhook.js';
export { NotifyError, type NotifyErrorCode } from './errors.js';
