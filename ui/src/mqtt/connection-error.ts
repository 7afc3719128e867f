/**
 * Coded connection errors. mqtt.js reports a refused CONNACK as an Error whose numeric `code` is
 * the MQTT 3.1.1 return code (spec 3.2.2.3); everything else (socket, keepalive, connack timeout)
 * comes without one. The ui only needs to know what to tell the user and whether retrying helps.
 */
export type ConnectionErrorCode =
  | 'BAD_CREDENTIALS'
  | 'NOT_AUTHORIZED'
  | 'PROTOCOL_REJECTED'
  | 'SERVER_UNAVAILABLE'
  | 'SUBSCRIBE_DENIED'
  | 'TRANSPORT';

/** Errors after which reconnecting with the same credentials cannot succeed. */
const FATAL: ReadonlySet<ConnectionErrorCode> = new Set(['BAD_CREDENTIALS', 'NOT_AUTHORIZED', 'PROTOCOL_REJECTED']);

export class ConnectionError extends Error {
  readonly fatal: boolean;
  constructor(
    readonly code: ConnectionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
    this.fatal = FATAL.has(code);
  }
}

/** CONNACK return codes of MQTT 3.1.1 (the broker is aedes, 3.1.1 only). */
const CONNACK: Record<number, [ConnectionErrorCode, string]> = {
  1: ['PROTOCOL_REJECTED', 'The broker does not accept MQTT 3.1.1.'],
  2: ['PROTOCOL_REJECTED', 'The broker rejected the client id.'],
  3: ['SERVER_UNAVAILABLE', 'The broker is unavailable.'],
  4: ['BAD_CREDENTIALS', 'Wrong username or password.'],
  5: ['NOT_AUTHORIZED', 'This account is not allowed to connect.'],
};

export function toConnectionError(err: unknown): ConnectionError {
  if (err instanceof ConnectionError) return err;
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  const known = typeof code === 'number' ? CONNACK[code] : undefined;
  if (known !== undefined) return new ConnectionError(known[0], known[1]);
  const detail = err instanceof Error ? err.message : String(err);
  return new ConnectionError('TRANSPORT', `Connection problem: ${detail}`);
}
