/**
 * `sitrep process add|remove|list`: the host operator defines supervised processes. Definitions
 * go to the agent's processesDir (one YAML file each, read back before they replace anything),
 * which a running agent watches, so they start and stop without a restart of the agent. This is
 * the only way to define a process at run time: over MQTT only the actions a definition allows
 * (start, stop, restart, kill) can be asked for, never a new command.
 */
import { basename } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { agentSocketPath, askAgent, ControlClientError, formatTable, loadDefinitions, parseDefinition, removeDefinition, saveDefinition, SupervisorError } from '@sitrep/agent';
import type { ServiceState } from '@sitrep/schemas';
import { formatIssues, ProcessConfig, type AgentConfig } from '@sitrep/schemas/config';
import { readAgentSetup } from '../agent-setup.js';
import { parse } from '../args.js';
import { CliError } from '../errors.js';

export const PROCESS_HELP = `sitrep process: the processes the agent supervises on this host

Usage:
  sitrep process add FILE [--replace]          install a definition (YAML, as in the agent config)
  sitrep process add --id ID [options] -- PROGRAM [ARG...]
  sitrep process add --id ID [options] --shell 'LINE'   (run with /bin/sh -c: only when you need a shell)
  sitrep process remove ID
  sitrep process list                          id, state, pid, restarts, where it is defined, command

Options of add --id:
  --cwd DIR            working directory
  --env NAME=VALUE     environment variable (repeatable)
  --restart POLICY     permanent (default), transient (after a failure) or temporary (never)
  --action ACTION      start, stop, restart or kill: what operators may ask over MQTT (repeatable; default none)
  --manual             do not start it when the agent starts
  --replace            replace the definition with the same id

Options:
  --config PATH   the agent config (for processesDir and stateDir)
  --data DIR      the hub's data directory: act on the hub's own agent (DIR/processes.d, DIR/agent)
  --dir DIR       the processes directory (overrides the config's processesDir)
  --state DIR     the agent's state directory (overrides the config)
`;

interface Where {
  config: AgentConfig;
  configPath: string | null;
  dir: string | undefined;
  stateDir: string;
}

function where(v: { config?: string; data?: string; dir?: string; state?: string }): Where {
  const { path, config } = readAgentSetup('process', v.config, v.data);
  return { config, configPath: path, dir: v.dir ?? config.processesDir, stateDir: v.state ?? config.stateDir };
}

function dirOf(w: Where, sub: string): string {
  if (w.dir !== undefined) return w.dir;
  throw new CliError(
    `process ${sub}: the agent config (${w.configPath ?? 'defaults'}) sets no processesDir; add \`processesDir: /etc/sitrep/processes.d\` to it and restart the agent once, or give --dir (on the hub: --data DIR)`,
  );
}

function parseEnv(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`process add: --env takes NAME=VALUE, got ${JSON.stringify(pair)}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

/** The definition from a file, or from the flags and the argv after `--`. */
function definitionFrom(file: string | undefined, v: Record<string, string | boolean | string[] | undefined>, argv: string[]): ProcessConfig {
  if (file !== undefined) {
    if (v['id'] !== undefined || argv.length > 0) throw new CliError('process add: give either FILE or --id with a command, not both');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CliError(`process add: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const parsed = parseDefinition(text);
    if (!parsed.ok) throw new CliError(`process add: ${file} is not a valid process definition:\n  ${parsed.issues.join('\n  ')}`);
    return parsed.definition;
  }
  if (v['id'] === undefined) throw new CliError(`process add: missing FILE or --id\n\n${PROCESS_HELP}`);
  const raw: Record<string, unknown> = { id: v['id'] };
  if (argv.length > 0) raw['command'] = argv;
  if (v['shell'] !== undefined) raw['shellCommand'] = v['shell'];
  if (v['cwd'] !== undefined) raw['cwd'] = v['cwd'];
  if (v['env'] !== undefined) raw['env'] = parseEnv(v['env'] as string[]);
  if (v['restart'] !== undefined) raw['restart'] = v['restart'];
  if (v['action'] !== undefined) raw['actions'] = v['action'];
  if (v['manual'] === true) raw['autostart'] = false;
  const result = ProcessConfig.safeParse(raw);
  if (!result.success) throw new CliError(`process add: not a valid process:\n  ${formatIssues(result.error).join('\n  ')}`);
  return result.data;
}

function add(w: Where, file: string | undefined, v: Record<string, string | boolean | string[] | undefined>, argv: string[]): void {
  const dir = dirOf(w, 'add');
  const def = definitionFrom(file, v, argv);
  if (w.config.processes.some((p) => p.id === def.id)) throw new CliError(`process add: ${def.id} is defined in the agent config (${w.configPath}); change it there`);
  const existing = loadDefinitions(dir).files[def.id];
  if (existing !== undefined && v['replace'] !== true) throw new CliError(`process add: ${def.id} is already defined in ${existing}; use --replace to replace it`);
  const written = saveDefinition(dir, def);
  process.stdout.write(`${existing === undefined ? 'added' : 'replaced'} process ${def.id} in ${written}; a running agent applies it at once\n`);
}

function remove(w: Where, id: string): void {
  if (w.config.processes.some((p) => p.id === id)) throw new CliError(`process remove: ${id} is defined in the agent config (${w.configPath}); remove it there`);
  const dir = dirOf(w, 'remove');
  const file = loadDefinitions(dir).files[id];
  if (file === undefined || !removeDefinition(dir, id)) throw new CliError(`process remove: no process ${id} in ${dir}`);
  process.stdout.write(`removed process ${id} (${file}); a running agent stops it\n`);
}

const commandText = (p: ProcessConfig): string => {
  const text = p.command !== undefined ? p.command.map((a) => (/[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ') : `sh -c ${JSON.stringify(p.shellCommand)}`;
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
};

async function list(w: Where): Promise<void> {
  const rows = new Map<string, { source: string; command: string }>();
  for (const p of w.config.processes) rows.set(p.id, { source: 'config', command: commandText(p) });
  // No directory yet is no problem: nothing was added.
  const loaded = w.dir === undefined || !existsSync(w.dir) ? null : loadDefinitions(w.dir);
  for (const d of loaded?.definitions ?? []) if (!rows.has(d.id)) rows.set(d.id, { source: basename(loaded!.files[d.id]!), command: commandText(d) });
  const states = new Map<string, ServiceState>();
  let note = '';
  try {
    await askAgent(agentSocketPath(w.stateDir), { op: 'processes' }, (m) => {
      if (m.type === 'processes') for (const s of m.processes) states.set(s.service, s);
    });
  } catch (err) {
    if (!(err instanceof ControlClientError)) throw err;
    note = `states unknown: ${err.message}\n`;
  }
  for (const id of states.keys()) if (!rows.has(id)) rows.set(id, { source: 'agent', command: '-' });
  if (rows.size === 0) process.stdout.write('no processes\n');
  else {
    const table = [...rows].map(([id, r]) => {
      const s = states.get(id);
      const state = s === undefined ? '-' : `${s.subState ?? s.state}${s.health === 'unhealthy' ? ' (unhealthy)' : ''}`;
      return [id, state, s?.pid == null ? '-' : String(s.pid), s?.restarts == null ? '-' : String(s.restarts), r.source, r.command];
    });
    process.stdout.write(formatTable(['ID', 'STATE', 'PID', 'RESTARTS', 'DEFINED IN', 'COMMAND'], table));
  }
  for (const p of loaded?.problems ?? []) process.stdout.write(`refused: ${p.file}: ${p.issues.join('; ')}\n`);
  process.stdout.write(note);
}

export async function processCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') return void process.stdout.write(PROCESS_HELP);
  const dash = rest.indexOf('--');
  const [flags, program] = dash === -1 ? [rest, []] : [rest.slice(0, dash), rest.slice(dash + 1)];
  const first = flags[0] !== undefined && !flags[0].startsWith('-') ? flags[0] : undefined;
  const v = parse(`process ${sub}`, first === undefined ? flags : flags.slice(1), {
    config: { type: 'string' },
    data: { type: 'string' },
    dir: { type: 'string' },
    state: { type: 'string' },
    ...(sub === 'add'
      ? {
          id: { type: 'string' },
          shell: { type: 'string' },
          cwd: { type: 'string' },
          env: { type: 'string', multiple: true },
          restart: { type: 'string' },
          action: { type: 'string', multiple: true },
          manual: { type: 'boolean' },
          replace: { type: 'boolean' },
        }
      : {}),
  });
  if (program.length > 0 && sub !== 'add') throw new CliError(`process ${sub}: unexpected arguments after --`);
  const w = where(v);
  try {
    switch (sub) {
      case 'add':
        return add(w, first, v, program);
      case 'remove':
        if (first === undefined) throw new CliError(`process remove: missing ID\n\n${PROCESS_HELP}`);
        return remove(w, first);
      case 'list':
        if (first !== undefined) throw new CliError(`process list: unexpected argument ${JSON.stringify(first)}`);
        return await list(w);
      default:
        throw new CliError(`unknown process command ${JSON.stringify(sub)}\n\n${PROCESS_HELP}`);
    }
  } catch (err) {
    if (err instanceof SupervisorError) throw new CliError(`process ${sub}: ${err.message}`);
    throw err;
  }
}
