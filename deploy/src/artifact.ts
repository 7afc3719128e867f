/**
 * The agent artifact: cli/src/agent-main.ts and every dependency bundled by esbuild into ONE
 * ESM file that runs on any host with Node >= 20 and no node_modules.
 *
 * Two things a single file changes, handled here:
 * - CJS dependencies bundled into ESM call `require` for builtins: the banner defines `require`
 *   with `createRequire(import.meta.url)` (esbuild's `__require` shim uses it when present).
 * - Workspace sources that read a file next to themselves at run time
 *   (`readFileSync(new URL('../package.json', import.meta.url), 'utf8')`, the agent's version)
 *   would look next to the artifact instead: such reads are inlined at build time, and any other
 *   `import.meta.url` left in bundled workspace code fails the build.
 */
import { chmodSync, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { AGENT_ARTIFACT, AGENT_ENTRY, REPO_ROOT } from './paths.js';

const BANNER = [
  '#!/usr/bin/env node',
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
export async function bundleForNode(opts: { entry: string; outfile: string; minify?: boolean }): Promise<BuiltArtifact> {
  const t0 = performance.now();
  const result = await build({
    entryPoints: [opts.entry],
    outfile: opts.outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    banner: { js: BANNER },
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
    plugins: [inlineSiblingReads()],
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

/** Build the agent artifact (default deploy/dist/sitrep-agent.mjs). */
export function buildAgent(opts: { outfile?: string; minify?: boolean } = {}): Promise<BuiltArtifact> {
  return bundleForNode({ entry: AGENT_ENTRY, outfile: opts.outfile ?? AGENT_ARTIFACT, minify: opts.minify });
}
