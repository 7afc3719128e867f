/** The build step that moves mqtt.js's nextTick shim from zero timeouts to microtasks. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rewriteNextTickShim } from '../build/mqtt-ticks.js';

const require = createRequire(import.meta.url);

describe('rewriteNextTickShim', () => {
  it('finds every shim in the installed mqtt.js browser bundle and leaves no zero-timeout drain', () => {
    const bundle = readFileSync(join(dirname(require.resolve('mqtt/package.json')), 'dist', 'mqtt.esm.js'), 'utf8');
    const { code, count } = rewriteNextTickShim(bundle);
    expect(count).toBeGreaterThan(0);
    expect(code).not.toMatch(/\.length===1&&![\w$]+&&setTimeout\(/);
    expect(code.length).toBe(bundle.length + count * ('queueMicrotask'.length - 'setTimeout'.length - ',0'.length));
  });

  it('runs queued ticks in order before the next task, as Node does', async () => {
    // The shim's shape, rewritten and evaluated: ticks queued by a tick run in the same drain.
    const shim = 'var q=[],d=!1;function drain(){d=!0;for(var i=0;i<q.length;i++)q[i]();q=[];d=!1}function tick(f){q.push(f),q.length===1&&!d&&setTimeout(drain,0)}return tick';
    const { code, count } = rewriteNextTickShim(shim);
    expect(count).toBe(1);
    const tick = new Function(code)() as (f: () => void) => void;
    const order: string[] = [];
    setTimeout(() => order.push('task'), 0);
    tick(() => {
      order.push('a');
      tick(() => order.push('b'));
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual(['a', 'b', 'task']);
  });
});
