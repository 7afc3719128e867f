/** The broker persistence options shared by `sitrep hub` and `sitrep broker`. */
import { join, resolve } from 'node:path';
import { DEFAULT_MAX_QUEUED_PER_CLIENT, type PersistenceOptions } from '@sitrep/broker';
import { CliError } from '../errors.js';

export const BROKER_STORE_OPTIONS = {
  'broker-db': { type: 'string' },
  'broker-memory': { type: 'boolean' },
  'max-queued': { type: 'string' },
} as const;

const HELP: [string, string, string][] = [
  ['--broker-db FILE', 'broker state: sessions, queued QoS 1/2, retained', 'default DATA/broker.db'],
  ['--broker-memory', 'keep broker state in memory (lost on restart)', ''],
  ['--max-queued N', 'queued QoS 1/2 messages per persistent session', `default ${DEFAULT_MAX_QUEUED_PER_CLIENT}`],
];

/** Help lines for these options, aligned to the columns of the command's own help. */
export function brokerStoreHelp(optionWidth: number, descriptionWidth: number): string {
  return HELP.map(([o, d, def]) => `  ${o.padEnd(optionWidth)}${def ? d.padEnd(Math.max(descriptionWidth, d.length + 1)) : d}${def}`.trimEnd() + '\n').join('');
}

export function brokerStore(
  dataDir: string,
  v: { 'broker-db'?: string | undefined; 'broker-memory'?: boolean | undefined; 'max-queued'?: string | undefined },
): PersistenceOptions {
  if (v['broker-memory'] === true) {
    if (v['broker-db'] !== undefined) throw new CliError('--broker-db and --broker-memory exclude each other');
    return { kind: 'memory' };
  }
  return { kind: 'sqlite', path: resolve(v['broker-db'] ?? join(dataDir, 'broker.db')), maxQueuedPerClient: maxQueued(v['max-queued']) };
}

function maxQueued(value: string | undefined): number {
  if (value === undefined) return DEFAULT_MAX_QUEUED_PER_CLIENT;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 100_000_000) throw new CliError(`--max-queued must be a whole number from 1 to 100000000, got ${JSON.stringify(value)}`);
  return n;
}
