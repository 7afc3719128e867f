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
 * matches `/`, so this selects a superset (filterMatcher decides). It only filters: the pages walk
 * the primary key inside keyRangeOf's range.
 */
export function globOf(filter: string): string {
  const glob: string[] = [];
  for (const level of filter.split('/')) {
    if (level === '#') return `${glob.join('/')}*`;
    glob.push(level === '+' ? '*' : escapeGlob(level));
  }
  return glob.join('/');
}

/**
 * The key range every topic matching `filter` lies in: [from, below) on the retained table's
 * primary key, so paging walks only that range. `from` is the filter's literal start (levels
 * before its first wildcard); `below` is `from` with its last character raised by one, or null
 * when there is no literal start (every topic is a candidate).
 */
export function keyRangeOf(filter: string): { from: string; below: string | null } {
  const literal: string[] = [];
  let from = filter;
  for (const level of filter.split('/')) {
    // `+` needs a level after the separator; `#` also matches the parent itself [MQTT-4.7.1-2].
    if (level === '+') {
      from = `${literal.join('/')}${literal.length > 0 ? '/' : ''}`;
      break;
    }
    if (level === '#') {
      from = literal.join('/');
      break;
    }
    literal.push(level);
  }
  if (from === '') return { from, below: null };
  const last = from.charCodeAt(from.length - 1);
  // Raised by one, a surrogate half (or U+D7FF) would not be a character and U+FFFF would wrap to
  // U+0000: such a start goes without an upper bound.
  if ((last >= 0xd7ff && last <= 0xdfff) || last === 0xffff) return { from, below: null };
  return { from, below: `${from.slice(0, -1)}${String.fromCharCode(last + 1)}` };
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
