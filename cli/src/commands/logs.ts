/**
 * `sitrep logs ID [-n N] [-f]`: the last lines of a supervised process (from the agent's ring
 * buffer) or of a watched unit (from the journal), asked of the running agent over its local
 * control socket; `-f` keeps printing new lines until Ctrl-C.
 */
import { agentSocketPath, askAgent, ControlClientError, formatLocalTime, MAX_TAIL_LINES } from '@sitrep/agent';
import { idProblem } from '@sitrep/schemas';
import { checkAgentSetupFlags, readAgentSetup } from '../agent-setup.js';
import { parse } from '../args.js';
import { CliError } from '../errors.js';

export const LOGS_HELP = `sitrep logs: output of a supervised process or a watched unit on this host

Usage:
  sitrep logs ID [-n N] [-f]

Options:
  -n, --lines N   how many of the last lines to print (0-${MAX_TAIL_LINES})   default 10
  -f, --follow    keep printing new lines until Ctrl-C
  --config PATH   the agent config (for stateDir)
  --data DIR      the hub's data directory: the hub's own agent
  --state DIR     the agent's state directory (overrides the config)

The running agent answers over its control socket (STATE/agent.sock, root only).
`;

export async function logsCommand(argv: string[]): Promise<void> {
  const [id, ...rest] = argv;
  if (id === undefined || id === '--help' || id === '-h') return void process.stdout.write(LOGS_HELP);
  if (id.startsWith('-')) throw new CliError(`logs: give the process or unit id first\n\n${LOGS_HELP}`);
  const bad = idProblem('source', id);
  if (bad !== null) throw new CliError(`logs: ${JSON.stringify(id.slice(0, 80))} ${bad}`);
  const v = parse('logs', rest, {
    lines: { type: 'string', short: 'n' },
    follow: { type: 'boolean', short: 'f' },
    config: { type: 'string' },
    data: { type: 'string' },
    state: { type: 'string' },
  });
  const lines = v.lines === undefined ? 10 : Number(v.lines);
  if (!/^\d+$/.test(v.lines ?? '10') || lines > MAX_TAIL_LINES) throw new CliError(`logs: --lines must be a whole number from 0 to ${MAX_TAIL_LINES}, got ${JSON.stringify(v.lines)}`);
  // --state names the one directory needed: no config is read then, but --config/--data are still checked.
  if (v.state !== undefined) checkAgentSetupFlags('logs', v.config, v.data);
  const stateDir = v.state ?? readAgentSetup('logs', v.config, v.data).config.stateDir;
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await askAgent(
      agentSocketPath(stateDir),
      { op: 'logs', id, lines, follow: v.follow === true },
      (m) => {
        if (m.type !== 'lines') return;
        process.stdout.write(m.lines.map((l) => `${formatLocalTime(l.ts)} ${l.stream === 'stderr' ? '[stderr] ' : ''}${l.text}\n`).join(''));
      },
      stop.signal,
    );
  } catch (err) {
    if (err instanceof ControlClientError) throw new CliError(`logs: ${err.message}`, err.code === 'PROTOCOL' ? 1 : 2);
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
