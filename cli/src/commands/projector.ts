import { readFileSync } from 'node:fs';
import { DatabaseLockedError, lockDatabase, openDatabase, PROJECTIONS, rebuild, rebuildTables, startProjector } from '@sitrep/projector';
import { existsSync } from 'node:fs';
import { progressBar } from '../progress.js';
import { loadHubConfig } from '../hub/config.js';
import { createLogger, DEFAULT_PREFIX } from '@sitrep/schemas';
import { BrokerUrl, TopicPrefix } from '@sitrep/schemas/config';
import { parse } from '../args.js';
import { CliError } from '../errors.js';
import { runUntilSignal } from '../lifecycle.js';

export const PROJECTOR_HELP = `sitrep projector: fold the event stream into SQLite

Usage:
  sitrep projector [options]            run the projector
  sitrep projector rebuild [--db PATH]  drop the read models derived from the log and replay it

Options:
  --broker URL           broker to consume from               default mqtt://127.0.0.1:1883
  --username NAME        identity with the service role       required
  --password-file PATH   file holding its password            (or env SITREP_PASSWORD)
  --db PATH              SQLite file                          default ./data/sitrep.db
  --prefix TOPICS        topic prefix                         default ${DEFAULT_PREFIX}
  --config FILE          hub config (alerts, expected states, notifications; see deploy/hub.yaml)
`;

export async function projectorCommand(argv: string[]): Promise<void> {
  if (argv[0] === 'rebuild') return rebuildCommand(argv.slice(1));
  const v = parse('projector', argv, {
    broker: { type: 'string' },
    username: { type: 'string' },
    'password-file': { type: 'string' },
    db: { type: 'string' },
    prefix: { type: 'string' },
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return void process.stdout.write(PROJECTOR_HELP);
  const hub = loadHubConfig(v.config, v.config !== undefined);
  if (v.username === undefined) throw new CliError('projector: --username is required');
  const url = BrokerUrl.safeParse(v.broker ?? 'mqtt://127.0.0.1:1883');
  if (!url.success) throw new CliError(`projector: --broker ${url.error.issues[0]?.message ?? 'is invalid'}`);
  const prefix = TopicPrefix.safeParse(v.prefix ?? DEFAULT_PREFIX);
  if (!prefix.success) throw new CliError(`projector: --prefix ${prefix.error.issues[0]?.message ?? 'is invalid'}`);
  let password = process.env['SITREP_PASSWORD'];
  if (v['password-file'] !== undefined) {
    try {
      password = readFileSync(v['password-file'], 'utf8').trim();
    } catch (err) {
      throw new CliError(`projector: cannot read --password-file ${v['password-file']}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
  }
  if (password === undefined || password === '') throw new CliError('projector: give --password-file or set SITREP_PASSWORD');
  const log = createLogger('projector');
  const projector = startProjector({
    dbPath: v.db ?? './data/sitrep.db',
    broker: { url: url.data, username: v.username, password, prefix: prefix.data },
    hub,
    log,
  });
  // A projector that cannot start consuming or answering queries stops and exits 1 with why.
  const failedStart = projector.ready.then(
    () => new Promise<Error>(() => undefined),
    (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
  );
  await runUntilSignal(log, () => projector.stop(), failedStart);
}

async function rebuildCommand(argv: string[]): Promise<void> {
  const v = parse('projector rebuild', argv, { db: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) return void process.stdout.write(PROJECTOR_HELP);
  const path = v.db ?? './data/sitrep.db';
  if (!existsSync(path)) throw new CliError(`projector rebuild: no database at ${path}`);
  let unlock: () => void;
  try {
    unlock = lockDatabase(path);
  } catch (err) {
    if (err instanceof DatabaseLockedError) throw new CliError(`projector rebuild: ${err.message}`);
    throw err;
  }
  const db = openDatabase(path);
  try {
    const bar = progressBar('rebuild');
    const r = rebuild(db, PROJECTIONS, (p) => bar(p.done, p.total, p.elapsedMs));
    process.stderr.write(`\nrebuilt ${rebuildTables(PROJECTIONS).length} tables from ${r.done} events in ${(r.elapsedMs / 1000).toFixed(1)} s\n`);
  } finally {
    db.close();
    unlock();
  }
}
