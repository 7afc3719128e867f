/**
 * What the host-side commands (`check`, `process`, `logs`) need from the agent's config: its
 * directories and the processes it defines. Only these matter here, so the broker section may be
 * incomplete on this host; an absent default config means the agent's defaults. With the hub's
 * data directory instead (`--data DIR`), they act on the hub's own agent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { DEFAULT_CONFIG_PATH } from '@sitrep/agent';
import { AgentConfig, parseConfig } from '@sitrep/schemas/config';
import { CliError } from './errors.js';
import { localAgentDirs } from './hub/local-agent-dirs.js';

export interface AgentSetup {
  /** The config file read, or null when the default one does not exist. */
  path: string | null;
  config: AgentConfig;
}

const placeholder = { broker: { url: 'mqtt://x', username: 'x', password: 'x' } };

/** Refuses --config with --data, without reading either (for commands told every directory). */
export function checkAgentSetupFlags(command: string, configPath: string | undefined, hubDataDir: string | undefined): void {
  if (hubDataDir !== undefined && configPath !== undefined) throw new CliError(`${command}: --config and --data exclude each other (--data means the hub's own agent)`);
}

export function readAgentSetup(command: string, configPath: string | undefined, hubDataDir?: string): AgentSetup {
  checkAgentSetupFlags(command, configPath, hubDataDir);
  if (hubDataDir !== undefined) {
    if (!existsSync(hubDataDir)) throw new CliError(`${command}: no hub data directory at ${hubDataDir}`);
    const dirs = localAgentDirs(hubDataDir);
    const config = parseConfig(AgentConfig, { ...placeholder, stateDir: dirs.stateDir, checks: { dir: dirs.checksDir }, processesDir: dirs.processesDir }, 'the hub');
    return { path: null, config };
  }
  const path = configPath ?? DEFAULT_CONFIG_PATH;
  if (!existsSync(path)) {
    if (configPath !== undefined) throw new CliError(`${command}: no agent config at ${path}`);
    return { path: null, config: parseConfig(AgentConfig, placeholder, 'defaults') };
  }
  const raw = parseYaml(readFileSync(path, 'utf8')) as Record<string, unknown> | null;
  return { path, config: parseConfig(AgentConfig, { ...placeholder, ...raw, node: undefined }, path) };
}
