/**
 * TLS, plain-listener and limit options of the embedded broker, from the hub config's `broker:`
 * section and command-line flags (flags win). Shared by `sitrep hub` and `sitrep broker`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BrokerOptions } from '@sitrep/broker';
import type { HubBrokerConfig } from '@sitrep/schemas/config';
import { port } from '../args.js';
import { CliError } from '../errors.js';

/** parseArgs options for the flags below. */
export const BROKER_SECURITY_FLAGS = {
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-port': { type: 'string' },
  'allow-plain': { type: 'boolean' },
} as const;

export const BROKER_SECURITY_HELP = `  --tls-cert FILE    PEM certificate: MQTT over TLS, HTTPS and WSS        default hub.yaml broker.tls
  --tls-key FILE     PEM private key of --tls-cert
  --tls-port N       MQTT over TLS                                       default 8883
  --allow-plain      plain MQTT/HTTP on a non-loopback --host (trusted network only)
`;

export interface BrokerSecurityFlags {
  'tls-cert'?: string | undefined;
  'tls-key'?: string | undefined;
  'tls-port'?: string | undefined;
  'allow-plain'?: boolean | undefined;
}

function readPem(what: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new CliError(`cannot read the TLS ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export function brokerSecurity(
  flags: BrokerSecurityFlags,
  config: HubBrokerConfig,
  configPath: string | undefined,
): Pick<BrokerOptions, 'tls' | 'tlsPort' | 'allowPlain' | 'limits'> {
  const base = configPath === undefined ? process.cwd() : dirname(resolve(configPath));
  const fromFlags = flags['tls-cert'] !== undefined || flags['tls-key'] !== undefined;
  if (fromFlags && (flags['tls-cert'] === undefined || flags['tls-key'] === undefined)) {
    throw new CliError('--tls-cert and --tls-key go together');
  }
  const cert = fromFlags ? resolve(flags['tls-cert'] as string) : config.tls === undefined ? undefined : resolve(base, config.tls.cert);
  const key = fromFlags ? resolve(flags['tls-key'] as string) : config.tls === undefined ? undefined : resolve(base, config.tls.key);
  return {
    tls: cert === undefined || key === undefined ? undefined : { cert: readPem('certificate', cert), key: readPem('key', key) },
    tlsPort: port('tls-port', flags['tls-port'], config.tls?.port ?? 8883),
    allowPlain: flags['allow-plain'] === true || config.allowPlain,
    limits: config.limits,
  };
}
