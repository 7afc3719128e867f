/**
 * The options every remote command shares (`status`, `tail`, `mcp`): where the broker is, who
 * connects, and the password, which never comes from argv (it would show in `ps` and shell
 * history): SITREP_PASSWORD, a --password-file, or a prompt on the terminal.
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_PREFIX } from '@sitrep/schemas';
import { BrokerUrl, TopicPrefix } from '@sitrep/schemas/config';
import { CliError } from '../errors.js';
import { promptHidden } from './prompt.js';

export const REMOTE_OPTIONS = {
  url: { type: 'string' },
  user: { type: 'string' },
  'password-file': { type: 'string' },
  prefix: { type: 'string' },
} as const;

export const REMOTE_HELP = `Connection:
  --url URL              the hub's broker, mqtt:// or ws://      default mqtt://127.0.0.1:1883 (env SITREP_URL)
  --user NAME            your sitrep identity                     default admin (env SITREP_USER)
  --password-file PATH   file holding the password                (or env SITREP_PASSWORD, or a prompt)
  --prefix TOPICS        topic prefix                             default ${DEFAULT_PREFIX}`;

export interface RemoteTarget {
  url: string;
  username: string;
  password: string;
  prefix: string;
}

export interface RemoteValues {
  url?: string | undefined;
  user?: string | undefined;
  'password-file'?: string | undefined;
  prefix?: string | undefined;
}

/** Resolve the connection; prompts for the password only when nothing else gave one and a terminal is there. */
export async function remoteTarget(command: string, v: RemoteValues, env: NodeJS.ProcessEnv = process.env): Promise<RemoteTarget> {
  const url = BrokerUrl.safeParse(v.url ?? env['SITREP_URL'] ?? 'mqtt://127.0.0.1:1883');
  if (!url.success) throw new CliError(`${command}: --url ${url.error.issues[0]?.message ?? 'is invalid'}`);
  const prefix = TopicPrefix.safeParse(v.prefix ?? DEFAULT_PREFIX);
  if (!prefix.success) throw new CliError(`${command}: --prefix ${prefix.error.issues[0]?.message ?? 'is invalid'}`);
  const username = v.user ?? env['SITREP_USER'] ?? 'admin';
  let password = env['SITREP_PASSWORD'];
  if (v['password-file'] !== undefined) {
    try {
      password = readFileSync(v['password-file'], 'utf8').trim();
    } catch (err) {
      throw new CliError(`${command}: cannot read --password-file ${v['password-file']}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (password === undefined || password === '') {
    if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) {
      throw new CliError(`${command}: no password: set SITREP_PASSWORD or give --password-file (no terminal to prompt on)`);
    }
    password = await promptHidden(`password for ${username}: `);
    if (password === '') throw new CliError(`${command}: empty password`);
  }
  return { url: url.data, username, password, prefix: prefix.data };
}
