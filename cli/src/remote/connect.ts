/**
 * Connect a short-lived CLI client and turn every way it can fail into one clear sentence:
 * wrong credentials, nothing listening, a name that does not resolve, no answer in time.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { CliError } from '../errors.js';
import type { RemoteTarget } from './options.js';

export interface Connected {
  client: MqttClient;
  /** A client id usable as a topic level (for query replies). */
  clientId: string;
}

const CONNECT_TIMEOUT_MS = 10_000;

export function describeConnectError(err: Error & { code?: unknown }, target: RemoteTarget): string {
  const code = err.code;
  // CONNACK return codes 4 and 5 [MQTT-3.2.2.3].
  if (code === 4 || code === 5) return `the hub refused ${target.username}: bad username or password`;
  if (code === 'ECONNREFUSED') return `cannot reach the hub at ${target.url}: connection refused (is the hub running, and is this the MQTT port?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `cannot reach the hub at ${target.url}: the host name does not resolve`;
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return `cannot reach the hub at ${target.url}: no route to the host`;
  return `cannot connect to ${target.url}: ${err.message}`;
}

export function connectRemote(target: RemoteTarget, purpose: string): Promise<Connected> {
  const clientId = `sitrep-${purpose}-${randomBytes(5).toString('hex')}`;
  const client = mqtt.connect(target.url, {
    protocolVersion: 4,
    clientId,
    clean: true,
    username: target.username,
    password: target.password,
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    queueQoSZero: false,
  });
  return new Promise((resolve, reject) => {
    const fail = (message: string) => {
      cleanup();
      client.end(true);
      reject(new CliError(message, 1));
    };
    const onConnect = () => {
      cleanup();
      resolve({ client, clientId });
    };
    const onError = (err: Error) => fail(describeConnectError(err, target));
    const onClose = () => fail(`cannot connect to ${target.url}: the connection closed before the hub answered`);
    const timer = setTimeout(() => fail(`cannot connect to ${target.url}: no answer within ${CONNECT_TIMEOUT_MS / 1000} s`), CONNECT_TIMEOUT_MS + 1000);
    function cleanup() {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    }
    client.once('connect', onConnect);
    client.once('error', onError);
    client.once('close', onClose);
  });
}

/** Subscribe and fail clearly when the broker refuses (SUBACK 0x80: the identity may not read it). */
export async function subscribeOrFail(client: MqttClient, filters: string[], username: string): Promise<void> {
  const granted = await client.subscribeAsync(filters, { qos: 1 });
  const refused = granted.filter((g) => g.qos === 128);
  if (refused.length > 0) throw new CliError(`the hub does not let ${username} read ${refused.map((g) => g.topic).join(', ')}`, 1);
}
