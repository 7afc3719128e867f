/**
 * `sitrep <command>`: one tool for every part. Errors a user can fix print as one message and
 * exit 2; anything else prints its message and exits 1 (set SITREP_DEBUG=1 for the stack).
 */
import { AGENT_VERSION } from '@sitrep/agent';
import { ConfigError } from '@sitrep/schemas/config';
import { agentCommand } from './commands/agent.js';
import { brokerCommand } from './commands/broker.js';
import { hubCommand } from './commands/hub.js';
import { projectorCommand } from './commands/projector.js';
import { nodeCommand, userCommand } from './commands/user.js';
import { checkCommand } from './commands/check.js';
import { simulateCommand } from './commands/simulate.js';
import { logsCommand } from './commands/logs.js';
import { processCommand } from './commands/process.js';
import { CliError } from './errors.js';

const HELP = `sitrep ${AGENT_VERSION}: fleet monitor and remote control for Linux hosts, on MQTT

Usage: sitrep <command> [options]

Commands:
  hub          broker + projector + dashboard + a local agent, in one process
  broker       the embedded MQTT broker alone
  agent        publish this host's state to a hub
  projector    fold the event stream into SQLite
  user         add, passwd, remove, list identities
  node enroll  create a host's agent identity and print its install command
  check        add, remove, list, status, run the agent's scheduled checks
  simulate     a simulated fleet against a hub (load tests, demos)
  process      add, remove, list the processes the agent supervises
  logs         the last lines of a supervised process or a watched unit (-f to follow)
  status       the fleet as a table, from any machine with credentials
  tail         follow the live event stream
  mcp          a Model Context Protocol server on stdio, for AI agents

Run \`sitrep <command> --help\` for the options of a command.
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  hub: hubCommand,
  broker: brokerCommand,
  agent: agentCommand,
  projector: projectorCommand,
  user: userCommand,
  node: nodeCommand,
  check: checkCommand,
  simulate: simulateCommand,
  process: processCommand,
  logs: logsCommand,
  // Loaded on use: the MCP SDK and the remote clients stay out of every other command's start-up.
  status: async (argv) => (await import('./status/command.js')).statusCommand(argv),
  tail: async (argv) => (await import('./tail/command.js')).tailCommand(argv),
  mcp: async (argv) => (await import('./mcp/command.js')).mcpCommand(argv),
};

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP);
    return;
  }
  if (command === '--version' || command === 'version') {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return;
  }
  const run = COMMANDS[command];
  if (run === undefined) throw new CliError(`unknown command ${JSON.stringify(command)}\n\n${HELP}`);
  await run(rest);
}

function explain(err: unknown): { message: string; code: number } {
  if (err instanceof CliError) return { message: err.message, code: err.exitCode };
  if (err instanceof ConfigError) return { message: err.message, code: 2 };
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') {
    const where = (e as { port?: number }).port;
    return { message: `address already in use${where ? ` (port ${where})` : ''}: another hub or broker is running; choose other ports with --mqtt-port / --http-port`, code: 2 };
  }
  if (e?.code === 'EACCES') return { message: `permission denied: ${e.message}`, code: 2 };
  return { message: e instanceof Error ? e.message : String(err), code: 1 };
}

main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    const { message, code } = explain(err);
    process.stderr.write(`sitrep: ${message}\n`);
    if (process.env['SITREP_DEBUG'] === '1' && err instanceof Error) process.stderr.write(`${err.stack ?? ''}\n`);
    process.exit(code);
  },
);
