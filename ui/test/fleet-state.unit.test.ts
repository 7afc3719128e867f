import { describe, expect, it } from 'vitest';
import { applyNodeMessage, emptyFleet, type Fleet } from '../src/model/fleet-state.js';
import { birth, bytes, encode, metrics, status } from './fixtures.js';

function apply(fleet: Fleet, ...args: Parameters<typeof applyNodeMessage> extends [Fleet, ...infer R] ? R : never): Fleet {
  const result = applyNodeMessage(fleet, ...args);
  if (!result.ok) throw new Error(`unexpected rejection: ${result.reason}`);
  return result.fleet;
}

describe('applyNodeMessage', () => {
  it('adds a node on its first valid message and merges the other pieces into it', () => {
    let fleet = apply(emptyFleet(), 'status', 'web-1', encode.status(status()));
    fleet = apply(fleet, 'birth', 'web-1', encode.birth(birth()));
    fleet = apply(fleet, 'metrics', 'web-1', encode.metrics(metrics()));
    const record = fleet.get('web-1');
    expect(record?.status?.state).toBe('online');
    expect(record?.birth?.host.hostname).toBe('web-1.example.lan');
    expect(record?.metrics?.cpu.percent).toBe(12.5);
    expect([...fleet.keys()]).toEqual(['web-1']);
  });

  it('never mutates the previous fleet or its records', () => {
    const before = apply(emptyFleet(), 'status', 'web-1', encode.status(status()));
    const recordBefore = before.get('web-1');
    const after = apply(before, 'status', 'web-1', encode.status(status({ state: 'lost', ts: 1 })));
    expect(after).not.toBe(before);
    expect(before.get('web-1')).toBe(recordBefore);
    expect(recordBefore?.status?.state).toBe('online');
    expect(after.get('web-1')?.status?.state).toBe('lost');
  });

  it('removes a piece on an empty payload, and the node once nothing is left', () => {
    let fleet = apply(emptyFleet(), 'status', 'web-1', encode.status(status()));
    fleet = apply(fleet, 'metrics', 'web-1', encode.metrics(metrics()));
    fleet = apply(fleet, 'metrics', 'web-1', new Uint8Array());
    expect(fleet.get('web-1')?.metrics).toBeUndefined();
    expect(fleet.get('web-1')?.status).toBeDefined();
    fleet = apply(fleet, 'status', 'web-1', new Uint8Array());
    expect(fleet.has('web-1')).toBe(false);
  });

  it('returns the same fleet when an empty payload clears nothing', () => {
    const fleet = apply(emptyFleet(), 'status', 'web-1', encode.status(status()));
    expect(apply(fleet, 'birth', 'web-1', new Uint8Array())).toBe(fleet);
    expect(apply(fleet, 'birth', 'db-1', new Uint8Array())).toBe(fleet);
  });

  it('rejects a payload that names another node than its topic', () => {
    const result = applyNodeMessage(emptyFleet(), 'status', 'web-1', encode.status(status({ node: 'db-1' })));
    expect(result).toEqual({ ok: false, reason: expect.stringContaining('"db-1"') });
  });

  it('rejects invalid JSON and schema violations with the reason', () => {
    const notJson = applyNodeMessage(emptyFleet(), 'status', 'web-1', bytes('{oops'));
    expect(notJson.ok).toBe(false);
    expect(!notJson.ok && notJson.reason).toMatch(/not JSON/);

    const tooBusy = metrics({ cpu: { percent: 150 } });
    const invalid = applyNodeMessage(emptyFleet(), 'metrics', 'web-1', encode.metrics(tooBusy));
    expect(invalid.ok).toBe(false);
    expect(!invalid.ok && invalid.reason).toMatch(/Metrics at \/cpu\/percent/);
  });
});
