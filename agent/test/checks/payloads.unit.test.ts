/** Scheduler results mapped to the contract's payloads, checked with the contract's own codecs. */
import { codecs } from '@sitrep/schemas';
import { describe, expect, it } from 'vitest';
import { toCheckCompletedData, toCheckResultPayload, toWatchedChecks, type CheckInfo, type CheckRunResult } from '../../src/checks/index.js';

const result: CheckRunResult = { check: 'backups', ts: 1_700_000_000_000, status: 'WARNING', message: 'old backup', durationMs: 12, exitCode: 0, output: 'x' };

describe('payloads', () => {
  it('makes a valid CheckResult, cutting output to the contract limit', () => {
    const payload = toCheckResultPayload('web-1', result);
    expect(codecs.checkResult.problem(payload)).toBeNull();
    expect(payload).toEqual({ v: 1, node: 'web-1', ...result });

    const big = toCheckResultPayload('web-1', { ...result, output: 'y'.repeat(100_000) });
    expect(codecs.checkResult.problem(big)).toBeNull();
    expect(big.output).toHaveLength(70_000);
    expect(big.output).toMatch(/output cut to fit the message \.\.\.\]$/);
  });

  it('makes valid CheckCompleted data', () => {
    const data = toCheckCompletedData(result);
    expect(data).toEqual({ check: 'backups', status: 'WARNING', message: 'old backup', durationMs: 12 });
    const event = { v: 1, node: 'web-1', session: 's1', seq: 1, ts: 1, type: 'CheckCompleted', data };
    expect(codecs.event.problem(event)).toBeNull();
  });

  it('lists checks for the Birth with `run` where allowed', () => {
    const info = (id: string, kind: CheckInfo['kind']): CheckInfo => ({
      id, kind, name: `N ${id}`, description: null, version: null, schedule: '5m', timeoutMs: 1, path: null,
      running: false, lastStatus: null, lastMessage: null, lastRun: null, lastDurationMs: null, nextRun: null,
    });
    const checks = [info('a', 'script'), info('b', 'script'), info('web', 'probe'), info('db', 'probe')];
    const probeActions = new Map<string, 'run'[]>([['web', ['run']], ['db', []]]);
    expect(toWatchedChecks(checks, ['b'], probeActions).map((c) => [c.id, c.actions])).toEqual([
      ['a', []],
      ['b', ['run']],
      ['web', ['run']],
      ['db', []],
    ]);
    expect(toWatchedChecks(checks, true).filter((c) => c.actions.length > 0).map((c) => c.id)).toEqual(['a', 'b']);
    expect(toWatchedChecks(checks, false)[0]).toEqual({ id: 'a', name: 'N a', schedule: '5m', actions: [] });
  });
});
