/** The human-readable form of a notification, shared by the channels that show text (ntfy, email). */
import type { Delivery } from './channel.js';

export interface NotificationText {
  /** One line, ASCII as long as ids are (kind, node and target are). */
  title: string;
  body: string;
}

const PREFIX = { 'alert.opened': 'ALERT', 'alert.repeat': 'STILL OPEN', 'alert.closed': 'RESOLVED' } as const;

export function notificationText(d: Delivery): NotificationText {
  const { alert } = d;
  const what = `${alert.kind.replaceAll('_', ' ')} on ${alert.node}${alert.target === null ? '' : `: ${alert.target}`}`;
  const lines = [alert.message, '', `since:  ${iso(alert.since)}`, `opened: ${iso(alert.openedAt)}`];
  if (d.closedAt !== undefined) lines.push(`closed: ${iso(d.closedAt)} (after ${duration(d.closedAt - alert.since)})`);
  lines.push('', `alert id: ${alert.id}`);
  return { title: `${PREFIX[d.event]}: ${what}`, body: lines.join('\n') };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `3d 4h`, `2h 5m`, `5m 3s`, `12s`: the two largest units. */
export function duration(ms: number): string {
  let s = Math.max(0, Math.round(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (s >= size || (unit === 's' && parts.length === 0)) parts.push(`${Math.floor(s / size)}${unit}`);
    s %= size;
  }
  return parts.slice(0, 2).join(' ');
}
