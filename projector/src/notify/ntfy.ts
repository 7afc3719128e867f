/**
 * ntfy channel (https://docs.ntfy.sh/publish/): POST the text to `{server}/{topic}` with Title,
 * Priority and Tags headers; an access token goes in `Authorization: Bearer`.
 */
import type { Channel, Delivery } from './channel.js';
import type { NtfyChannel } from './config.js';
import { post, type Fetch } from './http.js';
import { notificationText } from './message.js';

/** Tags ntfy shows as emoji (rotating_light, warning, white_check_mark), then the alert kind. */
const TAGS = { 'alert.opened': 'rotating_light', 'alert.repeat': 'warning', 'alert.closed': 'white_check_mark' } as const;

export function ntfyPriority(config: NtfyChannel, d: Delivery): number {
  if (d.event === 'alert.closed') return config.priority.closed;
  const byKind = config.priority.byKind[d.alert.kind];
  if (byKind !== undefined) return byKind;
  return d.event === 'alert.opened' ? config.priority.opened : config.priority.repeat;
}

export function createNtfyChannel(config: NtfyChannel, fetchFn: Fetch): Channel {
  const url = `${config.server.replace(/\/+$/, '')}/${config.topic}`;
  return {
    name: config.name,
    async send(d, stop) {
      const text = notificationText(d);
      const headers: Record<string, string> = {
        'Content-Type': 'text/plain; charset=utf-8',
        'User-Agent': 'sitrep-notify',
        Title: headerText(text.title),
        Priority: String(ntfyPriority(config, d)),
        Tags: `${TAGS[d.event]},${d.alert.kind}`,
      };
      if (config.token !== undefined) headers.Authorization = `Bearer ${config.token}`;
      await post(fetchFn, { url, headers, body: text.body, timeoutMs: config.timeout }, stop);
    },
    close() {},
  };
}

/** Header values must be Latin-1; ntfy decodes RFC 2047 encoded words for anything else. */
function headerText(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : `=?UTF-8?B?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}
