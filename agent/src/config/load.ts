/** Reads and validates the agent's YAML config. Every problem names the file, field and reason. */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { nodeIdFromHostname } from '@sitrep/schemas';
import { AgentConfig, ConfigError, parseConfig } from '@sitrep/schemas/config';

export const DEFAULT_CONFIG_PATH = '/etc/sitrep/agent.yaml';

/** The validated config with defaults applied, the node id resolved and the password read. */
export interface ResolvedAgentConfig extends Omit<AgentConfig, 'node' | 'broker'> {
  node: string;
  broker: Omit<AgentConfig['broker'], 'password' | 'passwordFile'> & { password: string };
}

export function resolveAgentConfig(raw: unknown, source: string): ResolvedAgentConfig {
  const config = parseConfig(AgentConfig, raw, source);
  const { password, passwordFile, ...broker } = config.broker;
  let secret = password;
  if (secret === undefined && passwordFile !== undefined) {
    try {
      secret = readFileSync(passwordFile, 'utf8').trim();
    } catch (err) {
      throw new ConfigError(source, [`broker.passwordFile: cannot read ${passwordFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
    }
    if (secret === '') throw new ConfigError(source, [`broker.passwordFile: ${passwordFile} is empty`]);
  }
  return { ...config, node: config.node ?? nodeIdFromHostname(hostname()), broker: { ...broker, password: secret ?? '' } };
}

export function loadAgentConfig(path: string): ResolvedAgentConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(path, [code === 'ENOENT' ? 'file not found' : `cannot read: ${code ?? String(err)}`]);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}: ` : '';
    throw new ConfigError(path, [`${where}not valid YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return resolveAgentConfig(raw ?? {}, path);
}
