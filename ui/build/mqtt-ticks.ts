/**
 * Build step for mqtt.js's browser bundle: its `process.nextTick` shim (JSPM core, two copies in
 * `dist/mqtt.esm.js`) drains its queue from `setTimeout(drain, 0)`. Browsers clamp nested zero
 * timeouts to 4 ms, and mqtt.js and its stream shims hop through `nextTick` several times per
 * WebSocket message, so a page receiving the retained state of a large fleet sat idle most of the
 * time: ~4 ms per message, 4-8 s for the ~1,000 messages that carry 500 nodes x 20 services.
 * Node runs `nextTick` callbacks before returning to the event loop; a microtask is the browser's
 * equivalent, so the drain is scheduled with `queueMicrotask` instead.
 *
 * The build fails if the shim is not found (a new mqtt.js may have changed it): check the fix is
 * still needed, then update the pattern.
 */
import type { Plugin } from 'vite';

/** `<queue>.length===1&&!<draining>&&setTimeout(<drain>,0)` in the minified shim. */
const SHIM_SCHEDULE = /([\w$]+)\.length===1&&!([\w$]+)&&setTimeout\(([\w$]+),0\)/g;
const BUNDLE = /[\\/]mqtt[\\/]dist[\\/]mqtt\.esm\.js$/;

export function rewriteNextTickShim(code: string): { code: string; count: number } {
  let count = 0;
  const out = code.replace(SHIM_SCHEDULE, (_m, queue: string, draining: string, drain: string) => {
    count += 1;
    return `${queue}.length===1&&!${draining}&&queueMicrotask(${drain})`;
  });
  return { code: out, count };
}

export function mqttMicrotaskTicks(): Plugin {
  let seen = false;
  return {
    name: 'sitrep-mqtt-microtask-ticks',
    enforce: 'pre',
    transform(code, id) {
      if (!BUNDLE.test(id.split('?')[0] ?? id)) return null;
      seen = true;
      const { code: out, count } = rewriteNextTickShim(code);
      if (count === 0) this.error(`mqtt.js's process.nextTick shim was not found in ${id}: see ui/build/mqtt-ticks.ts`);
      return { code: out, map: null };
    },
    buildEnd(err) {
      if (err === undefined && !seen && this.meta.watchMode === false) this.warn('mqtt.js browser bundle was not transformed (not imported?)');
    },
  };
}
