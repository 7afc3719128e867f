/**
 * `sitrep user add|passwd|remove|list` and `sitrep node enroll`: identities in the hub's data
 * directory. A running hub picks changes up at the next connection (it watches the file's mtime).
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IdentityStore } from '@sitrep/broker';
import { assertId, InvalidIdError } from '@sitrep/schemas';
import { ROLES, type Role } from '@sitrep/schemas/config';
import { parse } from '../args.js';
import { CliError } from '../errors.js';

export const USER_HELP = `sitrep user: identities allowed to connect to the hub

Usage:
  sitrep user add NAME --role ROLE [--node NODE]   create; prints the generated password once
  sitrep user passwd NAME                           new generated password, printed once
  sitrep user remove NAME
  sitrep user list

Roles: ${ROLES.join(', ')} (an agent is bound to one --node).
Options:
  --data DIR   the hub's data directory   default ./data
`;

export const NODE_HELP = `sitrep node enroll NODE: create the agent identity of a host and print how to install it

Options:
  --data DIR   the hub's data directory              default ./data
  --hub URL    the hub's MQTT address for that host  default mqtt://<this host>:1883
`;

function store(data: string | undefined): IdentityStore {
  const dir = resolve(data ?? './data');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return IdentityStore.open(join(dir, 'identities.json'));
}

function role(value: string | undefined): Role {
  if (value === undefined) throw new CliError(`user add: --role is required (${ROLES.join(', ')})`);
  if (!(ROLES as readonly string[]).includes(value)) throw new CliError(`user add: --role must be one of ${ROLES.join(', ')}, got ${JSON.stringify(value)}`);
  return value as Role;
}

export async function userCommand(argv: string[]): Promise<void> {
  const [sub, name, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') return void process.stdout.write(USER_HELP);
  if (sub === 'list') {
    const v = parse('user list', [name, ...rest].filter((a): a is string => a !== undefined), { data: { type: 'string' } });
    const rows = store(v.data).list().map((i) => `${i.username.padEnd(24)} ${i.role.padEnd(12)} ${i.node ?? ''}`);
    process.stdout.write(`${'NAME'.padEnd(24)} ${'ROLE'.padEnd(12)} NODE\n${rows.join('\n')}\n`);
    return;
  }
  if (name === undefined || name.startsWith('-')) throw new CliError(`user ${sub}: give the user name\n\n${USER_HELP}`);
  const v = parse(`user ${sub}`, rest, { data: { type: 'string' }, role: { type: 'string' }, node: { type: 'string' } });
  const ids = store(v.data);
  try {
    switch (sub) {
      case 'add': {
        const r = role(v.role);
        if ((r === 'agent') !== (v.node !== undefined)) throw new CliError('user add: an agent needs --node, and only an agent takes one');
        if (v.node !== undefined) assertId('node', v.node);
        const password = await ids.add(name, r, v.node === undefined ? {} : { node: v.node });
        process.stdout.write(`created ${name} (${r}${v.node ? `, node ${v.node}` : ''})\npassword: ${password}\n(shown once)\n`);
        return;
      }
      case 'passwd':
        process.stdout.write(`password of ${name}: ${await ids.setPassword(name)}\n(shown once)\n`);
        return;
      case 'remove':
        ids.remove(name);
        process.stdout.write(`removed ${name}\n`);
        return;
      default:
        throw new CliError(`unknown user command ${JSON.stringify(sub)}\n\n${USER_HELP}`);
    }
  } catch (err) {
    if (err instanceof InvalidIdError) throw new CliError(err.message);
    if (err instanceof Error && 'code' in err && String((err as { code: unknown }).code).startsWith('IDENTITY_')) throw new CliError(err.message);
    throw err;
  }
}

export async function nodeCommand(argv: string[]): Promise<void> {
  const [sub, node, ...rest] = argv;
  if (sub !== 'enroll' || node === undefined || node.startsWith('-')) return void process.stdout.write(NODE_HELP);
  const v = parse('node enroll', rest, { data: { type: 'string' }, hub: { type: 'string' } });
  try {
    assertId('node', node);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const ids = store(v.data);
  const username = `agent-${node}`;
  if (ids.get(username) !== undefined) throw new CliError(`node ${node} is already enrolled (identity ${username}); use \`sitrep user passwd ${username}\` for a new password`);
  const password = await ids.add(username, 'agent', { node });
  const hub = v.hub ?? 'mqtt://HUB-ADDRESS:1883';
  process.stdout.write(
    [
      `enrolled node ${node} as ${username}. On that host, as root:`,
      '',
      `  printf '%s' '${password}' > /root/${node}.password && chmod 600 /root/${node}.password`,
      `  bash install-agent.sh --artifact sitrep-agent.cjs --hub ${hub} --node ${node} --password-file /root/${node}.password`,
      '',
      '(install-agent.sh and sitrep-agent.cjs: deploy/ and `pnpm --filter @sitrep/deploy build:agent`; the password is shown once)',
      '',
    ].join('\n'),
  );
}
