/** Argument parsing on node:util parseArgs, with errors worded for people and typed values. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export function parse<O extends Options>(command: string, argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    throw new CliError(`${command}: ${(err as Error).message.replace(/\. To specify.*$/s, '')}\nRun \`sitrep ${command} --help\` for usage.`);
  }
}

export function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535) throw new CliError(`--${name} must be a port number from 0 to 65535, got ${JSON.stringify(value)}`);
  return n;
}

export function seconds(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > 86_400) throw new CliError(`--${name} must be a number of seconds between 0 and 86400, got ${JSON.stringify(value)}`);
  return n;
}
