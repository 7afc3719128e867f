import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exitOf, numberOrNull, parseShowOutput, parseShowTimestamp, runState } from '../../src/systemd/unit-props.js';
import { parseListUnits } from '../../src/systemd/discovery.js';

// Recorded from Debian 12's systemd 252 in the sandbox (deploy/sandbox), one unit in each state.
const fixture = (name: string) => readFileSync(new URL(`../fixtures/systemctl-show/${name}`, import.meta.url), 'utf8');

describe('systemctl show parsing', () => {
  const units = new Map(parseShowOutput(fixture('states.txt')).map((u) => [u.id, u]));

  it.each([
    ['demo.service', 'active', 'running', 'running', 74],
    ['fails.service', 'failed', 'failed', 'failed', null],
    ['idle.service', 'inactive', 'dead', 'stopped', null],
    ['oneshot.service', 'active', 'exited', 'running', null],
    ['flappy.service', 'activating', 'auto-restart', 'failed', null],
    ['slowstop.service', 'deactivating', 'stop', 'stopped', 97],
    ['nosuch.service', 'inactive', 'dead', 'unknown', null],
    ['systemd-journald.service', 'active', 'running', 'running', 19],
  ])('%s is %s/%s, reported %s', (id, active, sub, state, pid) => {
    const u = units.get(id)!;
    expect(u).toMatchObject({ activeState: active, subState: sub, mainPid: pid });
    expect(runState(u)).toBe(state);
  });

  it('reads unknown values as null and numbers as numbers', () => {
    const demo = units.get('demo.service')!;
    expect(demo).toMatchObject({ memoryBytes: null, cpuNsec: 2334000, restarts: 2, result: 'success' });
    expect(demo.stateChangeMs).toBe(Date.parse('2026-11-23T14:54:47Z'));
    expect(units.get('idle.service')).toMatchObject({ cpuNsec: null, stateChangeMs: null });
    expect(units.get('nosuch.service')?.loadState).toBe('not-found');
  });

  it('tells exit codes from signals', () => {
    expect(exitOf(units.get('fails.service')!)).toEqual({ exitCode: 1, signal: null });
    expect(exitOf(units.get('flappy.service')!)).toEqual({ exitCode: 3, signal: null });
    const [killed] = parseShowOutput(fixture('killed.txt'));
    expect(killed).toMatchObject({ result: 'signal', activeState: 'failed' });
    expect(exitOf(killed!)).toEqual({ exitCode: null, signal: 'SIGKILL' });
    expect(exitOf(units.get('demo.service')!)).toEqual({ exitCode: null, signal: null });
  });

  it('parses --timestamp=unix output', () => {
    const [u] = parseShowOutput(fixture('running-unix-ts.txt'));
    expect(u?.stateChangeMs).toBe(1795445752000);
  });

  it.each([
    ['[not set]', null],
    ['', null],
    ['18446744073709551615', null],
    [18446744073709551615n, null],
    ['4096', 4096],
    [7n, 7],
    ['garbage', null],
  ])('numberOrNull(%s) = %s', (raw, expected) => {
    expect(numberOrNull(raw)).toBe(expected);
  });

  it.each([
    ['@1700000000', 1_700_000_000_000],
    ['Mon 2026-11-23 14:55:52 UTC', Date.parse('2026-11-23T14:55:52Z')],
    ['n/a', null],
    ['Mon 2026-11-23 14:55:52 CET', null],
  ])('timestamp %j', (raw, expected) => {
    expect(parseShowTimestamp(raw)).toBe(expected);
  });

  it('maps auto-restart after a clean exit to stopped, and unknown states to unknown', () => {
    expect(runState({ loadState: 'loaded', activeState: 'activating', subState: 'auto-restart', result: 'success' })).toBe('stopped');
    expect(runState({ loadState: 'loaded', activeState: 'reloading', subState: 'reload', result: 'success' })).toBe('running');
    expect(runState({ loadState: 'loaded', activeState: 'maintenance', subState: 'x', result: 'success' })).toBe('unknown');
  });
});

describe('list-units parsing', () => {
  it('takes the first column, with or without a failure marker', () => {
    const out = '● fails.service loaded failed failed fails.service\nflappy.service loaded activating auto-restart flappy.service\n\n';
    expect(parseListUnits(out)).toEqual(['fails.service', 'flappy.service']);
  });
});
