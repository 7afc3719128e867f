/**
 * The notify config schema lives in schemas (schemas/src/config/notify.ts).
 * WIRING: once `@sitrep/schemas/config` re-exports it, import from there instead of this path.
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
} from '../../../schemas/src/config/notify.js';
