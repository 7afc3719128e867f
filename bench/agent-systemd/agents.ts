/**
 * The agent artifact run inside the sandbox as a transient unit (systemd-run), watching the bench
 * units, talking to the test broker on the host (the sandbox shares the host's network).
 */
import type { TestBroker } from '@sitrep/broker/testing';
import { codecs, createTopics } from '@sitrep/schemas';
import { agentNodeFlags, agentRunOptions, type Sandbox } from '@sitrep/deploy';
import type { Bus } from './bus.js';

export const INTERVAL = '10s';
export const POLL_INTERVAL_MS = 5000;

export interface AgentRun {
  node: string;
  /** The transient unit, `${node}.service`. */
  unit: string;
}

export interface AgentSpec {
  node: string;
  artifact: string;
  units: readonly string[];
  useDbus: boolean;
  /** Extra node options after the unit's own (deploy/sitrep-agent.service), e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
}

function agentConfig(spec: AgentSpec, url: string, password: string): string {
  return [
    `node: ${spec.node}`,
    `broker: { url: "${url}", username: agent-${spec.node}, password: "${password}" }`,
    `interval: ${INTERVAL}`,
    `stateDir: /var/lib/${spec.node}`,
    `systemd: { useDbus: ${spec.useDbus}, pollInterval: ${POLL_INTERVAL_MS}ms }`,
    // The hourly apt check would run once at start and never inside the window: left out.
    'updates: { enabled: false }',
    'services:',
    ...spec.units.map((u) => `  - { unit: ${u} }`),
    '',
  ].join('\n');
}

const t = createTopics();

/** Start the agent and wait until it is online and has published a running state for every unit. */
export async function startAgent(sb: Sandbox, tb: TestBroker, bus: Bus, spec: AgentSpec): Promise<AgentRun> {
  const creds = await tb.identity('agent', `agent-${spec.node}`, spec.node);
  const config = `/etc/sitrep-bench/${spec.node}.yaml`;
  await sb.writeFile(config, agentConfig(spec, tb.tcpUrl, creds.password), 0o600);
  const from = bus.mark();
  await sb.exec([
    'systemd-run', `--unit=${spec.node}`, '--collect', '--quiet', ...agentRunOptions(),
    '/usr/local/bin/node', ...agentNodeFlags(), ...(spec.nodeArgs ?? []), spec.artifact, '--config', config,
  ]);
  await bus.next(t.status(spec.node), codecs.status, (s) => s.state === 'online', `${spec.node} online`, { from, timeoutMs: 30_000 });
  for (const unit of spec.units) {
    await bus.next(t.service(spec.node, unit), codecs.serviceState, (s) => s.state === 'running', `${spec.node}: ${unit} running`, { from, timeoutMs: 30_000 });
  }
  return { node: spec.node, unit: `${spec.node}.service` };
}

/** SIGTERM through systemd (the agent stops cleanly and exits 0); waits until it is gone. */
export async function stopAgent(sb: Sandbox, run: AgentRun): Promise<void> {
  await sb.exec(['systemctl', 'stop', run.unit], { timeoutMs: 60_000 });
}
