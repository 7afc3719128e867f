/** The strict exposition parser the /metrics test relies on must itself refuse what Prometheus refuses. */
import { describe, expect, it } from 'vitest';
import { parseExposition } from './support/prometheus.js';

const ok = '# HELP a_b help \\n text\n# TYPE a_b gauge\na_b{x="q\\"uote\\\\ \\n"} 1.5e3\na_b{x="y"} NaN\n# TYPE c counter\nc 3 1700000000000\n';

describe('parseExposition', () => {
  it('accepts valid exposition, unescaping label values', () => {
    const p = parseExposition(ok);
    expect(p.samples).toEqual([
      { name: 'a_b', labels: { x: 'q"uote\\ \n' }, value: 1500 },
      { name: 'a_b', labels: { x: 'y' }, value: NaN },
      { name: 'c', labels: {}, value: 3 },
    ]);
  });
  it.each([
    ['no final newline', 'a 1'],
    ['bad metric name', '1a 1\n'],
    ['bad value', 'a one\n'],
    ['invalid escape', 'a{x="\\t"} 1\n'],
    ['unterminated label', 'a{x="y} 1\n'],
    ['reserved label', 'a{__x="y"} 1\n'],
    ['duplicate series', 'a{x="1"} 1\na{x="1"} 2\n'],
    ['non-contiguous family', 'a 1\nb 1\na{x="2"} 1\n'],
    ['TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['second TYPE', '# TYPE a gauge\n# TYPE a gauge\n'],
    ['unknown type', '# TYPE a thing\n'],
  ])('refuses %s', (_what, text) => {
    expect(() => parseExposition(text)).toThrow();
  });
});
