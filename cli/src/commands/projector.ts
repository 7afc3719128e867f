import { readFileSync } from 'node:fs';
import { startProjector } from '@sitrep/projector';
import { createLogger, DEFAULT_PREFIX } from '@sitrep/schemas';
import { BrokerUrl, TopicPrefix } from '@sitrep/schemas/config';
import { parse } from '../args.js';
import { CliError } from '../errors.js';
import { runUntilSignal } from '../lifecycle.js';

export const PROJECTOR_HELP = `sitrep projector: fold the event stream into SQLite

Options:
  --broker URL           broker to consume from               default mqtt://127.0.0.1:1883
  --username NAME        identity with the service role       required
  --password-file PATH   file holding its password            (or env SITREP_PASSWORD)
  --db PATH              SQLite file                          default ./data/sitrep.db
  --prefix TOPICS        topic prefix                         default ${DEFAULT_PREFIX}
`;

export async function projectorCommand(argv: string[]): Promise<void> {
  const v = parse('projector', argv, {
    broker: { type: 'string' },
    username: { type: 'string' },
    'password-file': { type: 'string' },
    db: { type: 'string' },
    prefix: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return void process.stdout.write(PROJECTOR_HELP);
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
    log,
  });
  await runUntilSignal(log, () => projector.stop());
}
