/**
 * `sitrep user add|passwd|remove|list` and `sitrep node enroll`: identities in the hub's data
 * directory. A running hub picks changes up at the next connection (it watches the file's mtime).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { IdentityStore } from '@sitrep/broker';
import { assertId, InvalidIdError } from '@sitrep/schemas';
import { ROLES, type Role } from '@sitrep/schemas/config';
import { parse } from '../args.js';
import { CliError } from '../errors.js';
import { loadHubConfig } from '../hub/config.js';

export const USER_HELP = `sitrep user: identities allowed to connect to the hub

Usage:
  sitrep user add NAME --role ROLE [--node NODE] [--commands]
                                                    create; prints the generated password once
  sitrep user passwd NAME                           new generated password, printed once
  sitrep user remove NAME
  sitrep user list

Roles:
  agent        publishes its own node's state and events, reads its own commands (needs --node)
  viewer       reads everything under the topic prefix, asks history queries
  operator     a viewer that also sends commands
  service      the projector: reads everything, publishes hub state, replies and replay requests
  integration  Home Assistant, Node-RED, scripts: reads like a viewer; --commands lets it send commands
Options:
  --data DIR   the hub's data directory   default ./data
`;

export const NODE_HELP = `sitrep node enroll NODE: create the agent identity of a host and print how to install it

Options:
  --data DIR   the hub's data directory              default ./data
  --hub URL    the hub's MQTT address for that host  default mqtt://<this host>:1883
                                                     (mqtts://<this host>:PORT with TLS in hub.yaml)
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
    const rows = store(v.data)
      .list()
      .map((i) => `${i.username.padEnd(24)} ${i.role.padEnd(12)} ${(i.node ?? '').padEnd(24)} ${i.role === 'agent' ? '' : i.commands === true || i.role === 'operator' || i.role === 'service' ? 'yes' : 'no'}`.trimEnd());
    process.stdout.write(`${'NAME'.padEnd(24)} ${'ROLE'.padEnd(12)} ${'NODE'.padEnd(24)} COMMANDS\n${rows.join('\n')}\n`);
    return;
  }
  if (name === undefined || name.startsWith('-')) throw new CliError(`user ${sub}: give the user name\n\n${USER_HELP}`);
  const v = parse(`user ${sub}`, rest, { data: { type: 'string' }, role: { type: 'string' }, node: { type: 'string' }, commands: { type: 'boolean' } });
  const ids = store(v.data);
  try {
    switch (sub) {
      case 'add': {
        const r = role(v.role);
        if ((r === 'agent') !== (v.node !== undefined)) throw new CliError('user add: an agent needs --node, and only an agent takes one');
        if (v.commands === true && r !== 'integration') throw new CliError('user add: --commands is for integrations (operators always may send commands)');
        if (v.node !== undefined) assertId('node', v.node);
        const password = await ids.add(name, r, { ...(v.node === undefined ? {} : { node: v.node }), commands: v.commands === true });
        const what = [r, ...(v.node ? [`node ${v.node}`] : []), ...(v.commands === true ? ['may send commands'] : [])].join(', ');
        process.stdout.write(`created ${name} (${what})\npassword: ${password}\n(shown once)\n`);
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
  const hub = v.hub ?? defaultHubUrl(resolve(v.data ?? './data'));
  if (!/^(mqtts?|wss?):\/\/\S+$/.test(hub)) throw new CliError(`node enroll: --hub must be a URL such as mqtt://hub.lan:1883, got ${JSON.stringify(hub)}`);
  const password = await ids.add(username, 'agent', { node });
  const file = `/root/${node}.password`;
  process.stdout.write(
    [
      `enrolled node ${node} as ${username}.`,
      `Copy deploy/install-agent.sh, deploy/sitrep-agent.service and deploy/dist/sitrep-agent.cjs`,
      `(\`pnpm --filter @sitrep/deploy build:agent\`) to ${node}, then run there as root, in that directory:`,
      '',
      // umask first: the file is never readable by others, not even between create and chmod.
      `  (umask 077 && printf '%s' '${password}' > ${file})`,
      `  bash install-agent.sh --artifact sitrep-agent.cjs --hub ${hub} --node ${node} --password-file ${file}`,
      '',
      '(the password is shown once; install-agent.sh keeps it in /etc/sitrep, you may delete the file after)',
      '',
    ].join('\n'),
  );
}

/** How agents reach this hub: its host name, and TLS when hub.yaml configures it. */
function defaultHubUrl(dataDir: string): string {
  const configPath = join(dataDir, 'hub.yaml');
  const tls = existsSync(configPath) ? loadHubConfig(configPath, true).broker.tls : undefined;
  return tls === undefined ? `mqtt://${hostname()}:1883` : `mqtts://${hostname()}:${tls.port}`;
}
