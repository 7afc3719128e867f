/**
 * The agent artifact: cli/src/agent-main.ts and every dependency bundled by esbuild into ONE
 * CommonJS file (`.cjs`) that runs on any host with Node >= 20 and no node_modules. CommonJS
 * rather than ESM: an ESM entry loads Node's ESM loader, about 1 MB of RSS for the agent's whole
 * life (bench/README.md, agent-systemd); the sources stay ESM, esbuild converts them.
 *
 * One thing a single file changes, handled here:
 * - Workspace sources that read a file next to themselves at run time
 *   (`readFileSync(new URL('../package.json', import.meta.url), 'utf8')`, the agent's version)
 *   would look next to the artifact instead: such reads are inlined at build time, and any other
 *   `import.meta.url` left in bundled workspace code fails the build.
 */
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { AGENT_ARTIFACT, AGENT_ENTRY, REPO_ROOT } from './paths.js';

const SHEBANG = '#!/usr/bin/env node';
/** ESM output only (test probes with top-level await): CJS dependencies call `require` for builtins. */
const ESM_BANNER = [
  SHEBANG,
  "import { createRequire as __sitrepCreateRequire } from 'node:module';",
  'const require = __sitrepCreateRequire(import.meta.url);',
].join('\n');

export class BuildError extends Error {
  readonly code = 'BUILD_FAILED';
}

const SIBLING_READ = /readFileSync\(\s*new URL\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)\s*,\s*(['"])utf-?8\3\s*\)/g;

/** Inline `readFileSync(new URL(rel, import.meta.url), 'utf8')` in workspace sources as string literals. */
function inlineSiblingReads(): Plugin {
  return {
    name: 'sitrep-inline-sibling-reads',
    setup(b) {
      b.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const source = readFileSync(args.path, 'utf8');
        if (!source.includes('import.meta.url')) return undefined;
        const inlined = source.replace(SIBLING_READ, (_all, _q, rel: string) =>
          JSON.stringify(readFileSync(resolve(dirname(args.path), rel), 'utf8')),
        );
        if (inlined.includes('import.meta.url')) {
          throw new BuildError(
            `${relative(REPO_ROOT, args.path)} uses import.meta.url in a way the single-file agent cannot honour ` +
              '(it would point next to the artifact); inline the data or pass the path in',
          );
        }
        return { contents: inlined, loader: 'ts' };
      });
    },
  };
}

/**
 * Leave out of the bundle what the agent can never run; every byte of the bundle stays in memory
 * as the script's source (V8 keeps it for lazy compilation), and every module that runs costs heap:
 * - zod's 40 translations of its error messages (264 kB of source; the agent reports in English,
 *   which zod imports separately as its default).
 * - mqtt.js's SOCKS proxy support (socks, ip-address, smart-buffer: 70 kB, loaded on the first
 *   connect): the agent's config has no proxy setting, so `socksProxy` is never set.
 * - mqtt.js's Web Worker timers (worker-timers and its helpers): used in browsers only.
 * - readable-stream, npm's copy of Node's streams: the builtin `stream` is the same code (Node 20
 *   ships what readable-stream 4 copies), already loaded.
 * And load mqtt.js's WebSocket and TLS transports only for a broker URL that needs them: mqtt.js
 * requires all of them on the first connect, and `ws` pulls in http, https, zlib and tls (1.5 MB
 * of RSS for an agent on plain mqtt://).
 */
function dropUnused(): Plugin {
  return {
    name: 'sitrep-drop-unused',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
        /[/\\]zod[/\\]v4[/\\](classic|core)[/\\]/.test(args.importer) ? { path: 'zod-locales', namespace: 'sitrep-stub' } : undefined,
      );
      b.onResolve({ filter: /^\.\/socks$/ }, (args) =>
        /[/\\]mqtt[/\\]build[/\\]lib[/\\]connect[/\\]/.test(args.importer) ? { path: 'mqtt-socks', namespace: 'sitrep-stub' } : undefined,
      );
      b.onResolve({ filter: /^worker-timers$/ }, (args) =>
        /[/\\]mqtt[/\\]build[/\\]lib[/\\]/.test(args.importer) ? { path: 'worker-timers', namespace: 'sitrep-stub' } : undefined,
      );
      b.onResolve({ filter: /^readable-stream$/ }, () => ({ path: 'readable-stream', namespace: 'sitrep-stub' }));
      b.onLoad({ filter: /[/\\]mqtt[/\\]build[/\\]lib[/\\]connect[/\\]index\.js$/ }, (args) => {
        const source = readFileSync(args.path, 'utf8');
        const lazy = source.replace(/require\('\.\/(ws|tls)'\)\.(\w+)/g, (_all, mod: string, name: string) => `((...a) => require('./${mod}').${name}(...a))`);
        if (lazy === source || /=\s*require\('\.\/(ws|tls)'\)/.test(lazy)) throw new BuildError(`mqtt's connect/index.js changed: cannot make its ws/tls transports lazy (${args.path})`);
        return { contents: lazy, loader: 'js' };
      });
      const stubs: Record<string, string> = {
        'zod-locales': 'export {};',
        'mqtt-socks': "exports.default = () => { throw new Error('SOCKS proxies are not supported by the sitrep agent'); };",
        'worker-timers': [
          "const browserOnly = () => { throw new Error('worker timers are for browsers; the sitrep agent uses native timers'); };",
          'module.exports = { setTimeout: browserOnly, clearTimeout: browserOnly, setInterval: browserOnly, clearInterval: browserOnly };',
        ].join('\n'),
        'readable-stream': "module.exports = require('node:stream');",
      };
      b.onLoad({ filter: /.*/, namespace: 'sitrep-stub' }, (args) => ({ contents: stubs[args.path]!, loader: 'js' }));
    },
  };
}

/**
 * Builtins that workspace sources import at the top but use only on some paths (an HTTP probe,
 * a temporary file name): `node:https` alone loads http, tls and their internals, about 1.4 MB of
 * RSS in every agent, and `node:crypto` OpenSSL, about 0.9 MB.
 * Imports of these become a module of wrappers that load the builtin on first call. Only
 * function exports are wrapped, so importing anything else fails the build instead of misbehaving.
 */

function lazyBuiltins(): Plugin {
  return {
    name: 'sitrep-lazy-builtins',
    setup(b) {
      b.onResolve({ filter: /^node:(https?|crypto)$/ }, (args) =>
        args.importer.includes('/node_modules/') || args.kind !== 'import-statement' ? undefined : { path: args.path, namespace: 'sitrep-lazy' },
      );
      b.onLoad({ filter: /.*/, namespace: 'sitrep-lazy' }, async (args) => {
        const mod = (await import(args.path)) as Record<string, unknown>;
        const names = Object.keys(mod).filter((k) => k !== 'default' && typeof mod[k] === 'function');
        const lines = [`let m; const load = () => (m ??= require(${JSON.stringify(args.path)}));`];
        for (const name of names) {
          lines.push(
            `export function ${name}(...a) { const f = load().${name}; return new.target ? Reflect.construct(f, a, new.target) : f.apply(this, a); }`,
          );
        }
        return { contents: lines.join('\n'), loader: 'js' };
      });
    },
  };
}

export interface BuiltArtifact {
  path: string;
  bytes: number;
  ms: number;
  /** npm packages bundled into the artifact (name from node_modules paths), sorted. */
  packages: string[];
}

/**
 * Bundle `entry` the way the agent artifact is bundled (same target, banner, options): the
 * agent itself, and test probes that must run exactly like it under the same systemd unit.
 */
export async function bundleForNode(opts: { entry: string; outfile: string; minify?: boolean; format?: 'cjs' | 'esm' }): Promise<BuiltArtifact> {
  const format = opts.format ?? 'cjs';
  const t0 = performance.now();
  const result = await build({
    entryPoints: [opts.entry],
    outfile: opts.outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    banner: { js: format === 'esm' ? ESM_BANNER : SHEBANG },
    minify: opts.minify ?? true,
    // Memory is the agent's scarcest resource (bench/README.md, agent-systemd). esbuild's keepNames
    // (readable names in SITREP_DEBUG=1 stack traces) cost 1.1 MB of heap: a name property set on
    // every function at load. One non-ASCII character would make V8 keep the whole source, which
    // it holds for lazy compilation, as a two-byte string: twice the size.
    keepNames: false,
    charset: 'ascii',
    legalComments: 'eof',
    metafile: true,
    logLevel: 'silent',
    plugins: [inlineSiblingReads(), dropUnused(), lazyBuiltins()],
  }).catch((err: unknown) => {
    throw new BuildError(`esbuild failed for ${relative(REPO_ROOT, opts.entry)}: ${(err as Error).message}`);
  });
  chmodSync(opts.outfile, 0o755);
  const packages = new Set<string>();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m?.[1] !== undefined) packages.add(m[1]);
  }
  return {
    path: opts.outfile,
    bytes: statSync(opts.outfile).size,
    ms: Math.round(performance.now() - t0),
    packages: [...packages].sort(),
  };
}

/** Build the agent artifact (default deploy/dist/sitrep-agent.cjs). */
export function buildAgent(opts: { outfile?: string; minify?: boolean } = {}): Promise<BuiltArtifact> {
  return bundleForNode({ entry: AGENT_ENTRY, outfile: opts.outfile ?? AGENT_ARTIFACT, minify: opts.minify });
}
