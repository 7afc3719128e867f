/** Builds the configured channels. Throws a ConfigError when an email password file cannot be read. */
import type { Channel } from './channel.js';
import type { NotifyChannel } from './config.js';
import { createEmailChannel, type SendMail } from './email.js';
import type { Fetch } from './http.js';
import { createNtfyChannel } from './ntfy.js';
import { createWebhookChannel } from './webhook.js';

export interface ChannelDeps {
  fetch: Fetch;
  sendMail?: SendMail;
}

export function createChannel(config: NotifyChannel, deps: ChannelDeps): Channel {
  switch (config.type) {
    case 'webhook':
      return createWebhookChannel(config, deps.fetch);
    case 'ntfy':
      return createNtfyChannel(config, deps.fetch);
    case 'email':
      return createEmailChannel(config, deps.sendMail);
  }
}
