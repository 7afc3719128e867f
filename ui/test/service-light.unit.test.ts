/** State -> colour: every light on the dashboard comes from these rules. */
import { describe, expect, it } from 'vitest';
import { checkLight, isDrift, runLight, serviceLight, stateLight, worst } from '../src/model/service-light.js';
import { check, service } from './fixtures.js';

describe('service lights', () => {
  it.each([
    ['running', 'running', undefined, 'healthy'],
    ['running', 'running', 'unhealthy', 'degraded'],
    ['running', 'running', 'healthy', 'healthy'],
    ['stopped', 'running', undefined, 'down'],
    ['failed', 'running', undefined, 'down'],
    ['unknown', 'running', undefined, 'unknown'],
    ['stopped', 'stopped', undefined, 'healthy'],
    ['running', 'stopped', undefined, 'degraded'],
    ['failed', 'stopped', undefined, 'degraded'],
    ['running', 'any', undefined, 'healthy'],
    ['stopped', 'any', undefined, 'healthy'],
    ['failed', 'any', undefined, 'down'],
    ['running', 'any', 'unhealthy', 'degraded'],
  ] as const)('%s expected %s (health %s) is %s', (state, expect_, health, light) => {
    expect(stateLight(service({ state, expect: expect_, ...(health === undefined ? {} : { health }) }))).toBe(light);
  });

  it('reads a missing unit as down only when it should run', () => {
    expect(stateLight(service({ exists: false, state: 'unknown', expect: 'running' }))).toBe('down');
    expect(stateLight(service({ exists: false, state: 'unknown', expect: 'stopped' }))).toBe('healthy');
    expect(stateLight(service({ exists: false, state: 'unknown', expect: 'any' }))).toBe('unknown');
  });

  it('tells not-expected-here from no-state-yet, and distrusts nodes that are not online', () => {
    expect(serviceLight(undefined, false, 'online')).toBe('absent');
    expect(serviceLight(undefined, true, 'online')).toBe('unknown');
    expect(serviceLight(service(), true, 'online')).toBe('healthy');
    expect(serviceLight(service(), true, 'lost')).toBe('unknown');
    expect(serviceLight(service({ state: 'failed' }), true, 'offline')).toBe('unknown');
    expect(serviceLight(service(), true, 'unknown')).toBe('unknown');
  });

  it('colours checks by status', () => {
    expect(checkLight(check({ status: 'OK' }), 'online')).toBe('healthy');
    expect(checkLight(check({ status: 'UPDATE' }), 'online')).toBe('degraded');
    expect(checkLight(check({ status: 'WARNING' }), 'online')).toBe('degraded');
    expect(checkLight(check({ status: 'FAILURE' }), 'online')).toBe('down');
    expect(checkLight(check({ status: 'ERROR' }), 'online')).toBe('down');
    expect(checkLight(check({ status: 'ERROR' }), 'lost')).toBe('unknown');
    expect(checkLight(undefined, 'online')).toBe('unknown');
  });

  it('colours past states of the timeline and finds drift', () => {
    expect(runLight('running', 'running')).toBe('healthy');
    expect(runLight('failed', 'running')).toBe('down');
    expect(runLight('stopped', 'running')).toBe('down');
    expect(runLight('running', 'stopped')).toBe('degraded');
    expect(runLight('unknown', 'running')).toBe('unknown');
    expect(isDrift(service())).toBe(false);
    expect(isDrift(service({ state: 'stopped' }))).toBe(true);
    expect(isDrift(service({ expect: 'stopped' }))).toBe(true);
    expect(isDrift(service({ exists: false, expect: 'running' }))).toBe(true);
    expect(isDrift(service({ expect: 'any', state: 'stopped' }))).toBe(false);
  });

  it('sorts worst first', () => {
    expect(worst(['healthy', 'unknown', 'down', 'degraded'])).toBe('down');
    expect(worst(['healthy', 'absent'])).toBe('healthy');
    expect(worst([])).toBe('absent');
  });
});
