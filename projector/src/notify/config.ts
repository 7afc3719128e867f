/**
 * The notify config schema lives in schemas (schemas/src/config/notify.ts).

 */
export {
  NotifyConfig,
  type NotifyConfigInput,
  type NotifyChannel,
  type WebhookChannel,
  type NtfyChannel,
  type EmailChannel,
  type QuietHours,
  type NotifyRetry,
} from '@sitrep/schemas/config';
