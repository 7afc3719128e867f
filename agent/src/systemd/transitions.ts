/**
 * Which run-state transitions a burst of unit changes amounts to. The watcher gathers the changes
 * of a unit for a few milliseconds before judging (one state change brings several signals); a
 * unit that crashes and is restarted within that window would otherwise show up only as
 * "running, NRestarts + 1". So a `failed` state the unit passed through is kept, with the
 * properties of that moment as evidence, and a restart that left no intermediate state at all (the
 * poller sees one every few seconds at best) still counts as a crash and a recovery. Other
 * passing states are not reported: on its way from `failed` back to `running` systemd shows the
 * unit for an instant with Result reset (read as `stopped`), which is no transition anyone made.
 */
import { exitOf, runState, type RunState, type UnitProps } from './unit-props.js';

export interface Step {
  state: RunState;
  /** The properties when the unit was last seen in this state: the evidence of the transition. */
  props: UnitProps;
}

/** Add one observation to the run states seen since the last evaluation (consecutive repeats merge). */
export function observe(seen: Step[], props: UnitProps): void {
  const state = runState(props);
  const last = seen[seen.length - 1];
  if (last !== undefined && last.state === state) last.props = props;
  else seen.push({ state, props });
}

/**
 * The main process was replaced without the unit leaving `running` as far as we saw: systemd
 * restarted it automatically (NRestarts grew), or it has a new main PID and the exit of the old
 * one was a failure.
 */
export function restartedUnseen(prev: UnitProps, now: UnitProps): boolean {
  if (prev.restarts !== null && now.restarts !== null && now.restarts > prev.restarts) return true;
  if (prev.mainPid === null || now.mainPid === null || prev.mainPid === now.mainPid) return false;
  const { exitCode, signal } = exitOf(now);
  return signal !== null || (exitCode !== null && exitCode !== 0) || (now.result !== '' && now.result !== 'success');
}

export interface StepTransition {
  from: RunState;
  to: RunState;
  props: UnitProps;
}

/**
 * The transitions from `before` (the last reported state; undefined for a unit never reported)
 * through `seen` to the unit's current properties `now`. `prev` holds the properties of the last
 * evaluation, to notice a restart that passed unseen.
 */
export function transitionsOf(before: RunState | undefined, seen: readonly Step[], prev: UnitProps | undefined, now: UnitProps): StepTransition[] {
  const final = runState(now);
  // A unit seen for the first time has no "from": its state is published, not a transition.
  if (before === undefined) return [];
  const crash = [...seen].reverse().find((s) => s.state === 'failed');
  if (crash !== undefined && before !== 'failed' && final !== 'failed') {
    return [{ from: before, to: 'failed', props: crash.props }, { from: 'failed', to: final, props: now }];
  }
  if (before !== final) return [{ from: before, to: final, props: now }];
  const out: StepTransition[] = [];
  if (before === 'running' && prev !== undefined && restartedUnseen(prev, now)) {
    // systemd resets Result and ExecMain* when it starts the new process, so the evidence of how
    // the old one ended may be gone; the journal lines attached to the event still tell.
    const { exitCode } = exitOf(now);
    const down: RunState = now.execMainCode === 1 && exitCode === 0 && now.result === 'success' ? 'stopped' : 'failed';
    out.push({ from: 'running', to: down, props: now }, { from: down, to: 'running', props: now });
  }
  return out;
}
