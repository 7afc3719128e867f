/**
 * Build step: src/boot/early-start.ts goes into index.html as an inline classic script, first in
 * `<head>`, so the config request and the MQTT WebSocket start while the browser parses the HTML,
 * not after it has downloaded, compiled and run the app's modules. The module imports nothing; its
 * TypeScript is stripped and its `export`s dropped, and the script calls `startEarlyInPage()`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { transformWithOxc, type Plugin } from 'vite';

const SOURCE = fileURLToPath(new URL('../src/boot/early-start.ts', import.meta.url));

/** The module's JavaScript as a classic script that runs the early start. */
export function toInlineScript(js: string): string {
  if (/^\s*import\b/m.test(js)) throw new Error('src/boot/early-start.ts must not import anything: it is inlined on its own');
  const body = js.replace(/^export (?=(async )?function |const |let |class )/gm, '');
  if (/^\s*export\b/m.test(body)) throw new Error('src/boot/early-start.ts: an export the inliner does not handle');
  return `(() => {\n${body}\nstartEarlyInPage();\n})();`;
}

export async function compileEarlyStart(): Promise<string> {
  const out = await transformWithOxc(readFileSync(SOURCE, 'utf8'), SOURCE, { lang: 'ts', target: 'es2022' });
  return toInlineScript(out.code);
}

export function inlineEarlyStart(): Plugin {
  return {
    name: 'sitrep-inline-early-start',
    transformIndexHtml: {
      order: 'post',
      async handler() {
        return [{ tag: 'script', children: await compileEarlyStart(), injectTo: 'head-prepend' }];
      },
    },
  };
}
