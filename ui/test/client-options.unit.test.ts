import { describe, expect, it } from 'vitest';
import { brokerUrl, clientOptions, randomClientId, reconnectDelay } from '../src/mqtt/client-options.js';
import { ConnectionError, toConnectionError } from '../src/mqtt/connection-error.js';

describe('client options', () => {
  it('connects to the page origin, over wss behind https', () => {
    expect(brokerUrl({ protocol: 'http:', host: 'hub.lan:8080' }, '/mqtt')).toBe('ws://hub.lan:8080/mqtt');
    expect(brokerUrl({ protocol: 'https:', host: 'hub.example' }, '/x/mqtt')).toBe('wss://hub.example/x/mqtt');
  });

  it('jitters the reconnect delay between 1 and 1.5 times the base', () => {
    expect(reconnectDelay(() => 0)).toBe(2000);
    expect(reconnectDelay(() => 0.999)).toBe(2999);
    expect(reconnectDelay(() => 0.5, 1000)).toBe(1250);
  });

  it('makes ui- client ids of 12 hex digits', () => {
    expect(randomClientId(() => Uint8Array.from([0, 1, 0xab, 0xff, 0x10, 9]))).toBe('ui-0001abff1009');
    expect(randomClientId()).toMatch(/^ui-[0-9a-f]{12}$/);
    expect(randomClientId()).not.toBe(randomClientId());
  });

  it('speaks MQTT 3.1.1 with a clean session and the given credentials', () => {
    const opts = clientOptions({ username: 'ann', password: 'pw' }, 'ui-1');
    expect(opts).toMatchObject({ protocolVersion: 4, clean: true, clientId: 'ui-1', username: 'ann', password: 'pw' });
    expect(opts.reconnectPeriod).toBeGreaterThanOrEqual(2000);
    expect(opts.reconnectPeriod).toBeLessThan(3000);
  });
});

describe('toConnectionError', () => {
  it('maps refused CONNACK codes to coded errors; bad credentials are fatal', () => {
    const bad = toConnectionError(Object.assign(new Error('Connection refused: Bad username or password'), { code: 4 }));
    expect(bad).toBeInstanceOf(ConnectionError);
    expect(bad).toMatchObject({ code: 'BAD_CREDENTIALS', fatal: true });
    expect(toConnectionError({ code: 5 })).toMatchObject({ code: 'NOT_AUTHORIZED', fatal: true });
    expect(toConnectionError({ code: 3 })).toMatchObject({ code: 'SERVER_UNAVAILABLE', fatal: false });
  });

  it('treats anything else as a transport problem worth retrying', () => {
    const err = toConnectionError(new Error('connack timeout'));
    expect(err).toMatchObject({ code: 'TRANSPORT', fatal: false });
    expect(err.message).toContain('connack timeout');
    // Node socket errors carry string codes; they are not CONNACK codes.
    expect(toConnectionError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })).code).toBe('TRANSPORT');
  });
});
