/**
 * Retained matches through SQLite: a filter's key range and GLOB select candidates, the exact
 * matcher decides. Literal levels with GLOB's own characters (`[`, `*`, `?`) are matched as text,
 * `#` matches its parent level, and a leading wildcard never matches `$` topics.
 */
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '@sitrep/schemas';
import { SqlitePersistence } from '../src/persistence/index.js';
import { keyRangeOf } from '../src/persistence/topics.js';

let p: SqlitePersistence | undefined;
afterEach(async () => {
  await p?.destroy();
  p = undefined;
});

const TOPICS = ['a', 'ab', 'a/b', 'a/x/b[1]', 'a/x/b1', 'a/x/c*?', 'a/x/cde', 'a/x/y/z', '$SYS/x', 'y/x', 'a0', 'a/\u00e9t\u00e9/b'];

async function matches(filter: string): Promise<string[]> {
  const got: string[] = [];
  for await (const packet of p!.createRetainedStream(filter) as Readable) got.push((packet as { topic: string }).topic);
  return got.sort();
}

describe('retained matches', () => {
  it('match literal GLOB characters as text, # its parent, and no $ topic under a leading wildcard', async () => {
    p = new SqlitePersistence({ path: ':memory:', log: memoryLogger('persistence') });
    await p.setup({ id: 'broker-1' });
    await Promise.all(TOPICS.map((topic) => p!.storeRetained({ cmd: 'publish', topic, payload: Buffer.from(topic), qos: 0, retain: true, dup: false })));
    expect(await matches('a/+/b[1]')).toEqual(['a/x/b[1]']);
    expect(await matches('a/+/c*?')).toEqual(['a/x/c*?']);
    expect(await matches('a/#')).toEqual(['a', 'a/b', 'a/x/b1', 'a/x/b[1]', 'a/x/c*?', 'a/x/cde', 'a/x/y/z', 'a/\u00e9t\u00e9/b'].sort());
    expect(await matches('a/+')).toEqual(['a/b']);
    expect(await matches('+/x')).toEqual(['y/x']);
    expect(await matches('#')).toEqual(TOPICS.filter((t) => !t.startsWith('$')).sort());
    expect(await matches('$SYS/#')).toEqual(['$SYS/x']);
    expect(await matches('a/x/b[1]')).toEqual(['a/x/b[1]']);
  });

  it('walk only the key range of a filter\'s literal start', () => {
    expect(keyRangeOf('sitrep/v1/nodes/+/services/+')).toEqual({ from: 'sitrep/v1/nodes/', below: 'sitrep/v1/nodes0' });
    expect(keyRangeOf('a/b/#')).toEqual({ from: 'a/b', below: 'a/c' });
    expect(keyRangeOf('+/x')).toEqual({ from: '', below: null });
    expect(keyRangeOf('#')).toEqual({ from: '', below: null });
    expect(keyRangeOf('a\uffff/#')).toEqual({ from: 'a\uffff', below: null }); // no wrap to U+0000
  });
});
