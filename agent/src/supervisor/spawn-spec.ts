/** What to execute for a process definition: argv (a shell only when configured) and environment. */
import type { ProcessConfig } from '@sitrep/schemas/config';

/** systemd's default PATH for services. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Taken from the agent's own environment when set there; nothing else is inherited. */
const INHERITED = ['HOME', 'USER', 'LOGNAME', 'LANG', 'TZ'] as const;

/** `command` as is, or `/bin/sh -c shellCommand` when the definition asks for a shell. */
export function argvOf(config: Pick<ProcessConfig, 'command' | 'shellCommand'>): [string, ...string[]] {
  if (config.command !== undefined && config.command.length > 0) return config.command as [string, ...string[]];
  return ['/bin/sh', '-c', config.shellCommand ?? ''];
}

/** A minimal environment (PATH, LANG, HOME, USER, LOGNAME, TZ) with the definition's `env` over it. */
export function envOf(config: Pick<ProcessConfig, 'env'>, parent: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { PATH: DEFAULT_PATH, LANG: 'C.UTF-8' };
  for (const key of INHERITED) {
    const value = parent[key];
    if (value !== undefined && value !== '') env[key] = value;
  }
  return { ...env, ...config.env };
}
