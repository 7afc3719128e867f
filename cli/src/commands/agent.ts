import { DEFAULT_CONFIG_PATH, loadAgentConfig, startAgent } from '@sitrep/agent';
import { createLogger } from '@sitrep/schemas';
import { parse } from '../args.js';
import { runUntilSignal } from '../lifecycle.js';

export const AGENT_HELP = `sitrep agent: publish this host's state to a sitrep hub

Options:
  --config PATH   YAML config (see deploy/agent.yaml)   default ${DEFAULT_CONFIG_PATH}
`;

export async function agentCommand(argv: string[]): Promise<void> {
  const v = parse('agent', argv, { config: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) return void process.stdout.write(AGENT_HELP);
  const config = loadAgentConfig(v.config ?? process.env['SITREP_AGENT_CONFIG'] ?? DEFAULT_CONFIG_PATH);
  const log = createLogger('agent');
  const agent = await startAgent({ config, log });
  log.info('started', { node: agent.node, broker: config.broker.url });
  await runUntilSignal(log, () => agent.stop());
}
