import { afterEach, describe, expect, it } from 'vitest';
import type { SupervisorEvent } from '../../src/supervisor/events.js';
import { flipServer, harness, NODE, poll, teardown } from './helpers.js';

afterEach(teardown);

/** How many answers at the end of `served` were `status`. */
const trailing = (served: number[], status: number) => {
  let n = 0;
  for (let i = served.length - 1; i >= 0 && served[i] === status; i--) n++;
  return n;
};

describe('health checks (real process, real HTTP server)', () => {
  it('turns unhealthy after N consecutive failures and healthy on the first success', async () => {
    const server = await flipServer();
    const h = harness(
      [
        {
          id: 'web',
          command: [NODE, '-e', 'setInterval(() => {}, 1000)'],
          health: { probe: { type: 'http', url: server.url }, interval: '40ms', timeout: '1s', failuresBeforeUnhealthy: 3 },
        },
      ],
      // What the server had served when each event was reported.
      { eventExtra: () => [...server.served] },
    );
    const served = (e: SupervisorEvent) => {
      const r = h.timeline.find((x) => x.kind === 'event' && x.e === e);
      return r?.kind === 'event' ? (r.extra as number[]) : [];
    };
    const state = () => h.sup.list()[0]!;
    h.sup.start();
    await h.until(() => state().health === 'healthy', 'healthy');
    expect(state()).toMatchObject({ state: 'running', subState: 'running' });

    server.set(500);
    const failed = await h.until(() => h.events('HealthCheckFailed')[0], 'HealthCheckFailed');
    expect(trailing(served(failed), 500)).toBe(3);
    expect(failed).toEqual({
      type: 'HealthCheckFailed',
      data: { service: 'web', probe: 'http', failures: 3, message: `${server.url} answered 500, expected 200` },
    });
    expect(state()).toMatchObject({ state: 'running', subState: 'unhealthy', health: 'unhealthy' });
    // Still failing: said once, not per probe.
    const n = server.served.length;
    await poll(() => server.served.length >= n + 3, 'three more failed probes');
    expect(h.events('HealthCheckFailed')).toHaveLength(1);

    server.set(200);
    const recovered = await h.until(() => h.events('HealthCheckRecovered')[0], 'HealthCheckRecovered');
    const atRecovery = served(recovered);
    expect(atRecovery.at(-1)).toBe(200);
    expect(trailing(atRecovery.slice(0, -1), 500)).toBeGreaterThanOrEqual(6); // the first success recovers
    expect(recovered).toMatchObject({ type: 'HealthCheckRecovered', data: { service: 'web', probe: 'http', message: `${server.url} answered 200` } });
    if (recovered.type === 'HealthCheckRecovered') {
      expect(recovered.data.failures).toBe(trailing(atRecovery.slice(0, -1), 500));
      expect(recovered.data.unhealthyForMs).toBeGreaterThan(0);
    }
    expect(state()).toMatchObject({ state: 'running', subState: 'running', health: 'healthy' });
    // The health changes never changed the contract run state: no transition besides the start.
    expect(h.transitions().map((t) => `${t.from}->${t.to}`)).toEqual(['unknown->running']);
  });

  it('takes the probe as a dependency and survives one that throws or hangs', async () => {
    let mode: 'throw' | 'hang' | 'ok' = 'throw';
    const h = harness(
      [{ id: 'p', command: [NODE, '-e', 'setInterval(() => {}, 1000)'], health: { probe: { type: 'command', argv: ['x'] }, interval: '30ms', timeout: '50ms', failuresBeforeUnhealthy: 2 } }],
      {
        probe: (spec) => {
          expect(spec).toEqual({ type: 'command', argv: ['x'], expectExit: 0 });
          if (mode === 'throw') return Promise.reject(new Error('boom'));
          if (mode === 'hang') return new Promise(() => undefined);
          return Promise.resolve({ ok: true, message: 'fine' });
        },
      },
    );
    h.sup.start();
    const failed = await h.until(() => h.events('HealthCheckFailed')[0], 'HealthCheckFailed from a throwing probe');
    expect(failed.data).toMatchObject({ probe: 'command', message: 'probe failed: boom' });
    mode = 'hang';
    await poll(() => h.sup.inspect('p')!.failures >= 3, 'a hanging probe counted as failed', 5000);
    mode = 'ok';
    await h.until(() => h.events('HealthCheckRecovered')[0], 'recovered');
  });
});
