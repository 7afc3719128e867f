/** MQTT topic filters for the retained store: SQL narrowing plus exact matching. */
import { QlobberTrue } from 'qlobber';

const QLOBBER_OPTIONS = { wildcard_one: '+', wildcard_some: '#', separator: '/' };

export function hasWildcard(filter: string): boolean {
  return filter.includes('+') || filter.includes('#');
}

/**
 * A GLOB pattern selecting every topic that can match `filter`, so SQLite skips the others before
 * any row reaches JavaScript: each `+` level becomes `*`, and a final `#` level, with the separator
 * before it, becomes `*` because `#` also matches the parent level [MQTT-4.7.1-2]. GLOB's `*` also
 * matches `/`, so this selects a superset (filterMatcher decides); its literal start before the
 * first `*` lets SQLite walk the primary-key index instead of the table.
 */
export function globOf(filter: string): string {
  const glob: string[] = [];
  for (const level of filter.split('/')) {
    if (level === '#') return `${glob.join('/')}*`;
    glob.push(level === '+' ? '*' : escapeGlob(level));
  }
  return glob.join('/');
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
