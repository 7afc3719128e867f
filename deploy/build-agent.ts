/**
 * Build the single-file agent: `pnpm --filter @sitrep/deploy build:agent [--no-minify] [--outfile PATH]`.
 * Writes deploy/dist/sitrep-agent.cjs (0755) and prints its size; see src/artifact.ts.
 */
import { parseArgs } from 'node:util';
import { buildAgent } from './src/artifact.js';

const { values } = parseArgs({ options: { outfile: { type: 'string' }, 'no-minify': { type: 'boolean' } }, strict: true });
try {
  const built = await buildAgent({ outfile: values.outfile, minify: values['no-minify'] !== true });
  const kib = (built.bytes / 1024).toFixed(1);
  process.stdout.write(`built ${built.path}: ${built.bytes} bytes (${kib} KiB) in ${built.ms} ms\n`);
  process.stdout.write(`bundled packages: ${built.packages.join(' ')}\n`);
} catch (err) {
  process.stderr.write(`build-agent: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
