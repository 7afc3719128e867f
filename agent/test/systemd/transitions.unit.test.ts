import { describe, expect, it } from 'vitest';
import { observe, restartedUnseen, transitionsOf, type Step } from '../../src/systemd/transitions.js';
import type { UnitProps } from '../../src/systemd/unit-props.js';

// The property sets systemd 252 goes through when a Restart=always unit's main process is
// SIGKILLed (values as D-Bus PropertiesChanged signals carry them, see deploy/test/agent-systemd.test.ts).
const base: UnitProps = {
  id: 'web.service', description: 'web', loadState: 'loaded', activeState: 'active', subState: 'running', mainPid: 100,
  memoryBytes: null, cpuNsec: null, restarts: 0, stateChangeMs: 1, result: 'success', execMainCode: 0, execMainStatus: 0, controlGroup: null,
};
const running = (pid: number, restarts: number): UnitProps => ({ ...base, mainPid: pid, restarts });
// The Service interface's signal (main process gone, Result) arrives before the Unit's (ActiveState).
const serviceSaysKilled: UnitProps = { ...base, mainPid: null, result: 'signal', execMainCode: 2, execMainStatus: 9 };
const autoRestart: UnitProps = { ...serviceSaysKilled, activeState: 'activating', subState: 'auto-restart' };
const starting: UnitProps = { ...base, activeState: 'activating', subState: 'start', mainPid: 101, restarts: 1 };
// On its way back systemd shows the unit for an instant with Result reset: read as `stopped`.
const passingStopped: UnitProps = { ...base, activeState: 'activating', subState: 'auto-restart', mainPid: null, restarts: 1 };
// systemd resets Result and ExecMain* when it starts the new main process.
const restarted = running(101, 1);

const seenOf = (...props: UnitProps[]) => {
  const seen: Step[] = [];
  for (const p of props) observe(seen, p);
  return seen;
};
const pairs = (ts: { from: string; to: string }[]) => ts.map((t) => `${t.from}->${t.to}`);

describe('transitions of a burst of unit changes', () => {
  it('merges consecutive observations of one run state, keeping the latest properties', () => {
    const seen = seenOf(base, serviceSaysKilled, autoRestart, starting, restarted);
    expect(seen.map((s) => s.state)).toEqual(['running', 'failed', 'running']);
    expect(seen[0]!.props).toBe(serviceSaysKilled);
    expect(seen[1]!.props).toBe(autoRestart);
    expect(seen[2]!.props).toBe(restarted);
  });

  it('reports a crash and restart inside one debounce window as two transitions, the first with the crash evidence', () => {
    const out = transitionsOf('running', seenOf(serviceSaysKilled, autoRestart, starting, restarted), running(100, 0), restarted);
    expect(pairs(out)).toEqual(['running->failed', 'failed->running']);
    expect(out[0]!.props).toMatchObject({ result: 'signal', execMainCode: 2, execMainStatus: 9 });
    expect(out[1]!.props).toBe(restarted);
  });

  it('does not report the instant of `stopped` systemd passes through between failed and running', () => {
    // As seen in systemd 252 (deploy/test/agent-systemd.test.ts): RestartSec=1, two debounce windows.
    expect(pairs(transitionsOf('failed', seenOf(passingStopped, starting, restarted), autoRestart, restarted))).toEqual(['failed->running']);
    // RestartSec=0: everything inside one window.
    const all = seenOf(serviceSaysKilled, autoRestart, passingStopped, starting, restarted);
    expect(pairs(transitionsOf('running', all, running(100, 0), restarted))).toEqual(['running->failed', 'failed->running']);
  });

  it('reports one transition for a plain change, none for no change and none for a unit seen the first time', () => {
    expect(pairs(transitionsOf('running', seenOf(serviceSaysKilled, autoRestart), base, autoRestart))).toEqual(['running->failed']);
    expect(transitionsOf('running', seenOf(base), base, base)).toEqual([]);
    expect(transitionsOf(undefined, seenOf(serviceSaysKilled, autoRestart, restarted), undefined, restarted)).toEqual([]);
  });

  it('still reports failed -> running when only the restarted state was seen (NRestarts grew)', () => {
    // The poller, or a burst whose intermediate signals were merged: only the end state is known.
    const out = transitionsOf('running', seenOf(restarted), running(100, 0), restarted);
    expect(pairs(out)).toEqual(['running->failed', 'failed->running']);
    expect(transitionsOf('running', [], running(100, 0), restarted).length).toBe(2);
  });

  it('reads a new main PID as a crash only with evidence of a failed exit', () => {
    const prev = running(100, 0);
    expect(restartedUnseen(prev, running(101, 0))).toBe(false); // e.g. `systemctl restart`: not a crash
    expect(restartedUnseen(prev, { ...running(101, 0), result: 'exit-code', execMainCode: 1, execMainStatus: 3 })).toBe(true);
    expect(restartedUnseen(prev, { ...running(101, 0), execMainCode: 2, execMainStatus: 11 })).toBe(true);
    expect(restartedUnseen(prev, running(100, 0))).toBe(false);
    expect(restartedUnseen({ ...prev, restarts: null }, running(100, 3))).toBe(false);
  });

  it('calls an unseen restart after a clean exit stopped -> running, not failed', () => {
    const cleanExit = { ...running(101, 1), execMainCode: 1, execMainStatus: 0 };
    expect(pairs(transitionsOf('running', [], running(100, 0), cleanExit))).toEqual(['running->stopped', 'stopped->running']);
  });

  it('does not invent a restart for a unit that was not running before', () => {
    expect(pairs(transitionsOf('failed', seenOf(restarted), running(100, 0), restarted))).toEqual(['failed->running']);
    expect(transitionsOf('stopped', seenOf({ ...restarted, activeState: 'inactive', subState: 'dead' }), { ...base, activeState: 'inactive', subState: 'dead' }, { ...restarted, activeState: 'inactive', subState: 'dead' })).toEqual([]);
  });
});
