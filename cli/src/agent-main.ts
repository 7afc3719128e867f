/**
 * `sitrep-agent`: the agent command alone. This is the entry of the single-file artifact that
 * deploy/build-agent.ts bundles for hosts (deploy/dist/sitrep-agent.mjs, no node_modules needed).
 * Errors a user can fix print as ONE line (journald shows one entry, no stack) and exit 2;
 * anything else prints its message and exits 1 (SITREP_DEBUG=1 adds the stack).
 */
import { parseArgs } from 'node:util';
import { AGENT_VERSION, DEFAULT_CONFIG_PATH, loadAgentConfig } from '@sitrep/agent';
import { ConfigError } from '@sitrep/schemas/config';
import { agentCommand } from './commands/agent.js';
import { CliError } from './errors.js';

const HELP = `sitrep-agent ${AGENT_VERSION}: publish this host's state to a sitrep hub

Usage: sitrep-agent [--config PATH] [--check-config]

Options:
  --config PATH    YAML config (see deploy/agent.yaml)   default ${DEFAULT_CONFIG_PATH}
                   (or the SITREP_AGENT_CONFIG environment variable)
  --check-config   validate the config (and read its password file), print the node and exit
  --version        print the version and exit
  --help, -h       print this help and exit
`;

/** `--check-config`: what the installer runs before it replaces a config the agent would refuse. */
function checkConfig(argv: string[]): void {
  let values: { config?: string | undefined };
  try {
    values = parseArgs({ args: argv, options: { config: { type: 'string' }, 'check-config': { type: 'boolean' } }, strict: true }).values;
  } catch (err) {
    throw new CliError(`${(err as Error).message.replace(/\. To specify.*$/s, '')}; run \`sitrep-agent --help\` for usage`);
  }
  const path = values.config ?? process.env['SITREP_AGENT_CONFIG'] ?? DEFAULT_CONFIG_PATH;
  const config = loadAgentConfig(path);
  process.stdout.write(`config ok: ${path} (node ${config.node}, broker ${config.broker.url})\n`);
}

async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) return void process.stdout.write(HELP);
  if (argv.includes('--version')) return void process.stdout.write(`${AGENT_VERSION}\n`);
  if (argv.includes('--check-config')) return checkConfig(argv);
  await agentCommand(argv);
}

function explain(err: unknown): { message: string; code: number } {
  if (err instanceof ConfigError) return { message: `${err.source} is invalid: ${err.issues.join('; ')}`, code: 2 };
  if (err instanceof CliError) return { message: err.message.replaceAll('sitrep agent', 'sitrep-agent'), code: err.exitCode };
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EACCES') return { message: `permission denied: ${e.message}`, code: 2 };
  return { message: e instanceof Error ? e.message : String(err), code: 1 };
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    const { message, code } = explain(err);
    // One line: a usage error's "Run ... --help" hint joins the message instead of a second line.
    process.stderr.write(`sitrep-agent: ${message.split('\n').filter((l) => l.trim() !== '').join(' ')}\n`);
    if (process.env['SITREP_DEBUG'] === '1' && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
    process.exit(code);
  },
);
