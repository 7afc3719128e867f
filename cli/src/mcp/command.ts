/**
 * `sitrep mcp`: a Model Context Protocol server on stdio, so an AI agent (Claude Desktop, an IDE,
 * any MCP client) can read the fleet and, with operator credentials, act on it. Configure the
 * client to run `sitrep mcp --url ... --user ...` with SITREP_PASSWORD in its environment.
 */
import { AGENT_VERSION } from '@sitrep/agent';
import { createTopics } from '@sitrep/schemas';
import { parse } from '../args.js';
import { connectRemote } from '../remote/connect.js';
import { REMOTE_HELP, REMOTE_OPTIONS, remoteTarget } from '../remote/options.js';
import { createQueryClient } from '../remote/query.js';
import { isOperator, NotOperatorError, sendCommand } from './commands.js';
import { serveMcp } from './server.js';
import { TOOLS } from './tools.js';

export const MCP_HELP = `sitrep mcp: a Model Context Protocol server on stdio (for AI agents)

Usage: sitrep mcp [options]     (started by an MCP client, which speaks JSON-RPC on its stdin/stdout)

Tools: ${TOOLS.map((t) => `${t.name}${t.write ? ' (operators)' : ''}`).join(', ')}
${REMOTE_HELP}

The password is never an argument: put SITREP_PASSWORD in the MCP client's environment for this
server, or use --password-file. Reads work for any viewer; commands need an operator identity
and still pass each agent's own allow-list.
`;

export async function mcpCommand(argv: string[]): Promise<void> {
  const v = parse('mcp', argv, { ...REMOTE_OPTIONS, help: { type: 'boolean', short: 'h' } });
  if (v.help) return void process.stdout.write(MCP_HELP);
  const target = await remoteTarget('mcp', v);
  const t = createTopics(target.prefix);
  const { client, clientId } = await connectRemote(target, 'mcp');
  client.on('error', (err) => process.stderr.write(`sitrep mcp: ${err.message}\n`));
  const queries = await createQueryClient(client, t, clientId, target.username);
  let operator: Promise<boolean> | undefined;
  const { closed } = await serveMcp(
    {
      query: (name, args) => queries.query(name, args),
      async command(node, action, target_) {
        operator ??= isOperator(target, t).catch(() => false);
        if (!(await operator)) throw new NotOperatorError(target.username);
        return sendCommand(client, t, node, action, target_, `mcp:${target.username}`);
      },
    },
    AGENT_VERSION,
  );
  process.stderr.write(`sitrep mcp: serving ${TOOLS.length} tools on stdio as ${target.username} (${target.url})\n`);
  await closed;
  queries.close();
  await client.endAsync();
}
