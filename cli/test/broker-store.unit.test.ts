import { describe, expect, it } from 'vitest';
import { brokerStore } from '../src/commands/broker-store.js';
import { CliError } from '../src/errors.js';

describe('broker persistence options of sitrep hub / broker', () => {
  it('defaults to DATA/broker.db with the 100k per-session queue bound', () => {
    expect(brokerStore('/srv/sitrep', {})).toEqual({ kind: 'sqlite', path: '/srv/sitrep/broker.db', maxQueuedPerClient: 100_000 });
    expect(brokerStore('/srv/sitrep', { 'broker-db': '/var/lib/b.db', 'max-queued': '500' })).toEqual({
      kind: 'sqlite',
      path: '/var/lib/b.db',
      maxQueuedPerClient: 500,
    });
    expect(brokerStore('/srv/sitrep', { 'broker-memory': true })).toEqual({ kind: 'memory' });
  });

  it('refuses a bad queue bound and contradictory flags with a usage error', () => {
    for (const bad of ['0', '-1', '1.5', 'lots', '']) {
      expect(() => brokerStore('/d', { 'max-queued': bad })).toThrow(CliError);
    }
    expect(() => brokerStore('/d', { 'max-queued': 'lots' })).toThrow(/--max-queued must be a whole number from 1 to 100000000, got "lots"/);
    expect(() => brokerStore('/d', { 'broker-memory': true, 'broker-db': '/x.db' })).toThrow(/exclude each other/);
  });
});
