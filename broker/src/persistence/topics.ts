/** MQTT topic filters for the retained store: SQL narrowing plus exact matching. */
import { QlobberTrue } from 'qlobber';

const QLOBBER_OPTIONS = { wildcard_one: '+', wildcard_some: '#', separator: '/' };

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/**
 * A GLOB pattern selecting every topic that can match `filter`: its literal levels before the
 * first wildcard followed by `*`, so SQLite can walk the primary-key index instead of the table.
 * `hello/world/#` yields `hello/world*` because `#` also matches the parent level [MQTT-4.7.1-2].
 */
export function globPrefix(filter: string): string {
  const levels = filter.split('/');
  const literal: string[] = [];
  for (const level of levels) {
    if (level === '+' || level === '#') break;
    literal.push(level);
  }
  return `${escapeGlob(literal.join('/'))}*`;
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[]/g, (c) => `[${c}]`);
}

/** Exact matcher for one filter. */
export function filterMatcher(filter: string): (topic: string) => boolean {
  const q = new QlobberTrue(QLOBBER_OPTIONS);
  q.add(filter);
  // [MQTT-4.7.2-1]: a filter starting with a wildcard must not match topics starting with `$`.
  const startsWithWildcard = filter.startsWith('+') || filter.startsWith('#');
  return (topic) => !(startsWithWildcard && topic.startsWith('$')) && q.test(topic);
}

export { QLOBBER_OPTIONS };
