/**
 * `sitrep check add|remove|list|status|run`: the host operator's view of the agent's scripted
 * checks. Files go to the agent's checks directory, which a running agent watches, so changes are
 * picked up without a restart; `status` reads the results the agent saved; `run` runs one here.
 */
import { addCheck, CheckError, describeChecks, DEFAULT_CONFIG_PATH, formatCheckTable, formatLocalTime, readCheckState, removeCheck, runScript } from '@sitrep/agent';
import { readAgentSetup } from '../agent-setup.js';
import { parse } from '../args.js';
import { CliError } from '../errors.js';

export const CHECK_HELP = `sitrep check: the agent's scheduled checks on this host

Usage:
  sitrep check add FILE [--replace]   validate a script's header and install it
  sitrep check remove ID
  sitrep check list                    id, name, version, schedule, last status, last and next run
  sitrep check status ID [--details]   the last result (with its output when --details)
  sitrep check run ID                  run it now, here, and print the result

Options:
  --config PATH   the agent config (for checks.dir and stateDir)   default ${DEFAULT_CONFIG_PATH}
  --data DIR      the hub's data directory: act on the hub's own agent (DIR/checks.d, DIR/agent)
  --dir DIR       the checks directory (overrides the config)
  --state DIR     the agent's state directory (overrides the config)
`;

interface Where {
  dir: string;
  stateDir: string;
  timeoutMs: number;
  maxOutputBytes: number;
}

/** Where the checks live: from the agent config when readable, else defaults, flags win. */
function where(v: { config?: string; data?: string; dir?: string; state?: string }): Where {
  const { config } = readAgentSetup('check', v.config, v.data);
  return { dir: v.dir ?? config.checks.dir, stateDir: v.state ?? config.stateDir, timeoutMs: config.checks.defaultTimeout, maxOutputBytes: config.checks.maxOutputBytes };
}

export async function checkCommand(argv: string[]): Promise<void> {
  const [sub, arg, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') return void process.stdout.write(CHECK_HELP);
  const positional = sub === 'list' ? [arg, ...rest].filter((a): a is string => a !== undefined) : rest;
  if (sub !== 'list' && (arg === undefined || arg.startsWith('-'))) throw new CliError(`check ${sub}: missing ${sub === 'add' ? 'FILE' : 'ID'}\n\n${CHECK_HELP}`);
  const v = parse(`check ${sub}`, positional, {
    config: { type: 'string' },
    data: { type: 'string' },
    dir: { type: 'string' },
    state: { type: 'string' },
    replace: { type: 'boolean' },
    details: { type: 'boolean' },
  });
  const w = where(v);
  try {
    switch (sub) {
      case 'add': {
        const added = await addCheck(w.dir, arg!, { replace: v.replace === true });
        process.stdout.write(`${added.replaced.length > 0 ? "replaced" : "added"} check ${added.check.id} (${added.check.name}, ${added.check.schedule.text}) in ${w.dir}\n`);
        return;
      }
      case 'remove':
        for (const f of await removeCheck(w.dir, arg!)) process.stdout.write(`removed ${f}\n`);
        return;
      case 'list': {
        const listing = await describeChecks(w.dir, w.stateDir, w.timeoutMs);
        process.stdout.write(formatCheckTable(listing.checks));
        for (const bad of listing.invalid) process.stdout.write(`refused: ${bad.error.message}\n`);
        return;
      }
      case 'status': {
        const state = await readCheckState(w.stateDir);
        const entry = state?.checks[arg!];
        if (entry === undefined) throw new CliError(`check status: no result for ${arg} yet (has the agent run it? state: ${w.stateDir})`);
        const when = (ms: number | null) => (ms === null ? '-' : formatLocalTime(ms));
        process.stdout.write(
          `${entry.id}: ${entry.lastStatus ?? '-'} ${entry.lastMessage ?? ''}\n  last run ${when(entry.lastRun)}, took ${entry.lastDurationMs ?? '-'} ms, exit ${entry.lastExitCode ?? '-'}\n  next run ${when(entry.nextRun)} (${entry.schedule})\n`,
        );
        if (v.details === true && entry.lastOutput !== null) process.stdout.write(`--- output ---\n${entry.lastOutput}\n`);
        return;
      }
      case 'run': {
        const listing = await describeChecks(w.dir, undefined, w.timeoutMs);
        const check = listing.checks.find((c) => c.id === arg);
        if (check === undefined) throw new CliError(`check run: no check ${arg} in ${w.dir}`);
        if (check.path === null) throw new CliError(`check run: ${arg} is a probe; the agent runs it`);
        const r = await runScript(check.id, check.path, { timeoutMs: check.timeoutMs, maxOutputBytes: w.maxOutputBytes });
        process.stdout.write(`${r.check}: ${r.status} ${r.message} (${Math.round(r.durationMs)} ms)\n${r.output ?? ''}`);
        if (r.status === 'FAILURE' || r.status === 'ERROR') process.exitCode = 1;
        return;
      }
      default:
        throw new CliError(`unknown check command ${JSON.stringify(sub)}\n\n${CHECK_HELP}`);
    }
  } catch (err) {
    if (err instanceof CheckError) throw new CliError(`check ${sub}: ${err.message}`);
    throw err;
  }
}
