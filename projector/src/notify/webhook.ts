/**
 * Webhook channel: a JSON POST of `{ event, alert, closedAt? }` per notification.
 * `Idempotency-Key` is the same on every retry of one notification, so a receiver can drop repeats.
 */
import type { Channel, Delivery } from './channel.js';
import type { WebhookChannel } from './config.js';
import { post, type Fetch } from './http.js';

export interface WebhookBody {
  event: Delivery['event'];
  alert: Delivery['alert'];
  closedAt?: number;
}

export function createWebhookChannel(config: WebhookChannel, fetchFn: Fetch): Channel {
  return {
    name: config.name,
    async send(d, stop) {
      const body: WebhookBody = { event: d.event, alert: d.alert, ...(d.closedAt === undefined ? {} : { closedAt: d.closedAt }) };
      await post(
        fetchFn,
        {
          url: config.url,
          headers: {
            ...config.headers,
            'content-type': 'application/json',
            'user-agent': 'sitrep-notify',
            'idempotency-key': `sitrep-${d.id}`,
          },
          body: JSON.stringify(body),
          timeoutMs: config.timeout,
        },
        stop,
      );
    },
    close() {},
  };
}
