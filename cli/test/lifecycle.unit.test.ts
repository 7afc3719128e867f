/**
 * runUntilSignal: a part that dies on its own (the hub's projector thread) stops the rest cleanly
 * and ends the run with why (the command then exits 1), instead of an unhandled error that
 * would leave the broker's state unflushed.
 */
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '@sitrep/schemas';
import { runUntilSignal } from '../src/lifecycle.js';

describe('runUntilSignal', () => {
  it('stops everything and rejects with why when a part dies on its own', async () => {
    const log = memoryLogger('hub');
    const stopped: string[] = [];
    const listeners = process.listenerCount('SIGTERM');
    let die!: (e: Error) => void;
    let finishStop!: () => void;
    const run = runUntilSignal(log, () => new Promise<void>((r) => (finishStop = () => (stopped.push('all'), r()))), new Promise<Error>((r) => (die = r)));
    expect(process.listenerCount('SIGTERM')).toBe(listeners + 1);
    die(new Error('the projector thread exited (code 1) while the hub runs'));
    await new Promise(setImmediate); // the death is acted on
    // While the rest stops, a signal is still ours (the second-signal path), not the default exit.
    expect(process.listenerCount('SIGTERM')).toBe(listeners + 1);
    finishStop();
    await expect(run).rejects.toThrow('the projector thread exited (code 1) while the hub runs');
    expect(stopped).toEqual(['all']);
    expect(log.lines).toContain('hub error stopping: a part stopped on its own error="the projector thread exited (code 1) while the hub runs"');
    expect(process.listenerCount('SIGTERM')).toBe(listeners); // a later signal is not ours to handle
  });

  it("still rejects with the part's reason when stopping the rest fails too", async () => {
    const log = memoryLogger('hub');
    const run = runUntilSignal(log, () => Promise.reject(new Error('broker close failed')), Promise.resolve(new Error('thread gone')));
    await expect(run).rejects.toThrow('thread gone');
    expect(log.lines).toContain('hub error stop failed error="broker close failed"');
  });

  it('stops cleanly on SIGTERM and resolves', async () => {
    const log = memoryLogger('hub');
    let stops = 0;
    const run = runUntilSignal(log, async () => void stops++, new Promise<Error>(() => undefined));
    // Only our handler (process.emit would also run any other SIGTERM listener of the test runner).
    const ours = process.listeners('SIGTERM').at(-1) as (signal: NodeJS.Signals) => void;
    ours('SIGTERM');
    await run;
    expect(stops).toBe(1);
    expect(log.lines).toContain('hub info stopped cleanly');
  });
});
