/**
 * MQTT over TLS and WSS with a self-signed pair made by the openssl CLI for this run, and the rule
 * that plain listeners stay on loopback unless explicitly allowed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLogger } from '@sitrep/schemas';
import { ConfigError } from '@sitrep/schemas/config';
import { IdentityStore, startBroker, type TlsFiles } from '../src/index.js';
import { plainHostFor } from '../src/transports/listeners.js';
import { startTestBroker, type Credentials, type TestBroker } from '../src/testing.js';

let dir: string;
let pair: TlsFiles & { cert: Buffer };
let tb: TestBroker;
let creds: Credentials;
const clients: MqttClient[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sitrep-tls-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'pipe' });
  pair = { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  tb = await startTestBroker({ tls: pair });
  creds = await tb.identity('viewer', 'v');
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.endAsync(true)));
  await tb?.close();
  rmSync(dir, { recursive: true, force: true });
});

function attempt(url: string, opts: IClientOptions): Promise<MqttClient> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...creds, ...opts });
  clients.push(client);
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client));
    client.once('error', reject);
  });
}

describe('TLS', () => {
  it('accepts MQTT over TLS from a client that trusts the certificate, and refuses one that does not', async () => {
    expect(tb.broker.tlsPort).toBeGreaterThan(0);
    const url = `mqtts://127.0.0.1:${tb.broker.tlsPort}`;
    const ok = await attempt(url, { ca: pair.cert });
    expect(ok.connected).toBe(true);
    await expect(attempt(url, {})).rejects.toThrow(/self[- ]signed/);
    // Wrong password over TLS is still refused by authentication.
    await expect(attempt(url, { ca: pair.cert, password: 'nope' })).rejects.toThrow(/Bad username or password/);
  });

  it('serves the dashboard over HTTPS and MQTT over WSS on the HTTP port', async () => {
    const ws = await attempt(`wss://127.0.0.1:${tb.broker.httpPort}/mqtt`, { ca: pair.cert });
    expect(ws.connected).toBe(true);
    const body = await new Promise<string>((resolve, reject) => {
      get(`https://127.0.0.1:${tb.broker.httpPort}/healthz`, { ca: pair.cert }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c)).on('end', () => resolve(text));
      }).on('error', reject);
    });
    expect(body).toBe('ok\n');
    await expect(attempt(`ws://127.0.0.1:${tb.broker.httpPort}/mqtt`, {})).rejects.toThrow();
  });

  it('keeps plain MQTT for local clients on loopback', async () => {
    expect(tb.broker.plainHost).toBe('127.0.0.1');
    const plain = await attempt(tb.tcpUrl, {});
    expect(plain.connected).toBe(true);
  });
});

describe('plain listeners', () => {
  it('refuses to start plain MQTT and HTTP on a non-loopback address, with a clear config error', async () => {
    const identities = IdentityStore.open(join(dir, 'identities.json'));
    const started = startBroker({ identities, log: memoryLogger(), host: '0.0.0.0', tcpPort: 0, httpPort: 0 });
    await expect(started).rejects.toBeInstanceOf(ConfigError);
    await expect(started).rejects.toThrow(/plain MQTT and HTTP on 0\.0\.0\.0 would carry passwords in clear: configure a TLS certificate/);
  });

  // Which address plain listeners get, without binding a public address in a test.
  it.each([
    [{ host: '127.0.0.1', allowPlain: false }, '127.0.0.1'],
    [{ host: '::1', allowPlain: false }, '::1'],
    [{ host: '0.0.0.0', allowPlain: false, tls: { cert: 'c', key: 'k' } }, '127.0.0.1'],
    [{ host: '0.0.0.0', allowPlain: true }, '0.0.0.0'],
    [{ host: '192.168.1.10', allowPlain: true, tls: { cert: 'c', key: 'k' } }, '192.168.1.10'],
  ])('%o: plain on %s', (opts, expected) => {
    expect(plainHostFor(opts)).toBe(expected);
  });

  it('refuses 192.168.1.10 without TLS or the flag', () => {
    expect(() => plainHostFor({ host: '192.168.1.10', allowPlain: false })).toThrow(ConfigError);
  });
});
