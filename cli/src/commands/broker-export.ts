import { MOSQUITTO_DEFAULT_ITERATIONS } from '@sitrep/broker';
import { parse } from '../args.js';
import { exportMosquitto, MOSQUITTO_QUEUE_PER_AGENT, mosquittoMaxQueued } from '../broker/export-mosquitto.js';
import { CliError } from '../errors.js';

export const EXPORT_MOSQUITTO_HELP = `sitrep broker export-mosquitto: the hub's identities and ACLs as Mosquitto 2.x files

Writes OUT/passwd (PBKDF2-SHA512 hashes, mode 0600), OUT/acl (one user block per identity, the same
matrix as the embedded broker) and OUT/mosquitto.conf (settings to include next to your listeners).

Stored passwords are scrypt hashes and cannot be converted, so each identity's password is needed:
the hub's own projector and local agent are known (DATA/hub-secrets.json), the admin's while
DATA/initial-admin-password is kept; give the others in a
file of name:password lines (--passwords), or let the export set new passwords for them
(--rotate-unknown: they change for the embedded broker too, and are written to OUT/credentials/).
Mosquitto reads the password file as its own user: chown it to mosquitto.

Options:
  --out DIR            where to write the files (created, 0700)         required
  --data DIR           the hub's data directory                         default ./data
  --passwords FILE     name:password lines for identities to keep
  --rotate-unknown     new passwords for identities with none known
  --iterations N       PBKDF2 iterations                                default ${MOSQUITTO_DEFAULT_ITERATIONS}
  --prefix P           topic prefix                                     default sitrep/v1
  --max-queued N       Mosquitto's max_queued_messages                  default ${MOSQUITTO_QUEUE_PER_AGENT} per agent, at least ${mosquittoMaxQueued(0)}
`;

export async function exportMosquittoCommand(argv: string[]): Promise<void> {
  const v = parse('broker export-mosquitto', argv, {
    out: { type: 'string' },
    data: { type: 'string' },
    passwords: { type: 'string' },
    'rotate-unknown': { type: 'boolean' },
    iterations: { type: 'string' },
    prefix: { type: 'string' },
    'max-queued': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (v.help) return void process.stdout.write(EXPORT_MOSQUITTO_HELP);
  if (v.out === undefined) throw new CliError(`broker export-mosquitto: --out DIR is required\n\n${EXPORT_MOSQUITTO_HELP}`);
  const iterations = v.iterations === undefined ? undefined : Number(v.iterations);
  if (iterations !== undefined && !(Number.isInteger(iterations) && iterations >= 1000 && iterations <= 10_000_000)) {
    throw new CliError(`--iterations must be an integer from 1000 to 10000000, got ${JSON.stringify(v.iterations)}`);
  }
  const maxQueued = v['max-queued'] === undefined ? undefined : Number(v['max-queued']);
  if (maxQueued !== undefined && !(/^\d+$/.test(v['max-queued']!) && maxQueued >= 1000 && maxQueued <= 100_000_000)) {
    throw new CliError(`--max-queued must be a whole number from 1000 to 100000000, got ${JSON.stringify(v['max-queued'])}`);
  }
  const r = await exportMosquitto({
    dataDir: v.data ?? './data',
    out: v.out,
    passwordsFile: v.passwords,
    rotateUnknown: v['rotate-unknown'] === true,
    iterations,
    prefix: v.prefix,
    maxQueued,
  });
  const lines = [
    `exported ${r.exported.length} identities: ${r.exported.join(', ')}`,
    `  password file: ${r.passwordFile}`,
    `  ACL file:      ${r.aclFile}`,
    `  settings:      ${r.confFile} (max_queued_messages ${r.maxQueued})`,
    ...(r.rotated.length === 0 ? [] : ['new passwords (also set for the embedded broker; hand them to their owners, then delete the files):', ...r.rotated.map((x) => `  ${x.username}: ${x.file}`)]),
    '',
  ];
  process.stdout.write(lines.join('\n'));
}
