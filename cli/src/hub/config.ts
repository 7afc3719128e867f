/** Loads the optional hub config (`hub.yaml`): alert thresholds, expected-state overrides, notifications. */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError, HubConfig, parseConfig } from '@sitrep/schemas/config';

/** The config at `path`; defaults when `path` is undefined or (for the default path) absent. */
export function loadHubConfig(path: string | undefined, required: boolean): HubConfig {
  if (path === undefined || (!required && !existsSync(path))) return parseConfig(HubConfig, {}, 'defaults');
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(path, [code === 'ENOENT' ? 'file not found' : `not readable YAML: ${(err as Error).message.split('\n')[0]}`]);
  }
  return parseConfig(HubConfig, raw ?? {}, path);
}
