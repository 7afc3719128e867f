import { describe, expect, it } from 'vitest';
import { createTopics } from '@sitrep/schemas';
import type { Identity } from '@sitrep/schemas/config';
import { aclRules, canPublish, canReceive, canSubscribe } from '../src/index.js';

const t = createTopics('sitrep/v1');
const id = (role: Identity['role'], node?: string): Identity => ({
  username: role,
  role,
  ...(node === undefined ? {} : { node }),
  hash: 'scrypt$',
  createdAt: '',
});
const agent = id('agent', 'n1');
const viewer = id('viewer');
const operator = id('operator');
const service = id('service');
const integration = id('integration');
const commander: Identity = { ...id('integration'), commands: true };

describe('publish matrix', () => {
  it.each([
    [agent, t.status('n1'), true],
    [agent, t.birth('n1'), true],
    [agent, t.metrics('n1'), true],
    [agent, t.events('n1'), true],
    [agent, t.service('n1', 'nginx.service'), true],
    [agent, t.cmdResult('n1'), true],
    [agent, t.logs('n1', 'worker'), true],
    [agent, t.logsTail('n1', 'worker'), true],
    [agent, t.logsTail('n2', 'worker'), false],
    [operator, t.logsTail('n1', 'worker'), false],
    [agent, t.cmd('n1'), false],
    [agent, t.status('n2'), false],
    [agent, t.events('n2'), false],
    [agent, t.alerts(), false],
    [agent, '$SYS/x', false],
    [agent, 'elsewhere/x', false],
    [viewer, t.cmd('n1'), false],
    [viewer, t.status('n1'), false],
    [viewer, t.query('transitions'), true],
    [operator, t.cmd('n1'), true],
    [operator, t.status('n1'), false],
    [service, t.alerts(), true],
    [service, t.projectorStatus(), true],
    [service, t.cmd('n1'), true],
    [service, t.status('n1'), false],
    [integration, t.cmd('n1'), false],
    [integration, t.query('transitions'), true],
    [commander, t.cmd('n1'), true],
    [commander, t.status('n1'), false],
  ])('%o publishes %s: %s', (who, topic, allowed) => {
    expect(canPublish(who, topic, t).ok).toBe(allowed);
  });
});

describe('subscribe matrix', () => {
  it.each([
    [agent, t.cmd('n1'), true],
    [agent, t.projectorStatus(), true],
    [agent, t.cmd('n2'), false],
    [agent, t.filter.cmd(), false],
    [agent, t.filter.all(), false],
    [agent, '#', false],
    [viewer, t.filter.all(), true],
    [viewer, t.filter.status(), true],
    [viewer, '#', false],
    [viewer, '$SYS/#', false],
    [operator, t.filter.cmdResult(), true],
    [service, t.filter.events(), true],
  ])('%o subscribes %s: %s', (who, filter, allowed) => {
    expect(canSubscribe(who, filter, t).ok).toBe(allowed);
  });
});

describe('receive gate (forwarding)', () => {
  it.each([
    [agent, t.cmd('n1'), true],
    [agent, t.projectorStatus(), true],
    [agent, t.cmd('n2'), false],
    [agent, t.status('n1'), false],
    [agent, 'homeassistant/status', true],
    [agent, 'homeassistant/device/sitrep_n2/config', false],
    [viewer, 'homeassistant/device/sitrep_n2/config', true],
    [viewer, t.cmd('n2'), true],
    [viewer, '$SYS/broker/x', false],
    [viewer, 'elsewhere/x', false],
  ])('%o receives %s: %s', (who, topic, allowed) => {
    expect(canReceive(who, topic, t).ok).toBe(allowed);
  });
});

describe('the matrix as topic filters', () => {
  it('grants an agent its own subtree but not cmd, and reads of its own cmd only', () => {
    expect(aclRules(agent, t)).toEqual([
      { access: 'read', filter: t.cmd('n1') },
      { access: 'read', filter: t.projectorStatus() },
      { access: 'read', filter: 'homeassistant/status' },
      ...['status', 'birth', 'metrics', 'services/+', 'checks/+', 'events', 'logs/+', 'logs/+/tail', 'cmd/result'].map((leaf) => ({ access: 'write', filter: `sitrep/v1/nodes/n1/${leaf}` })),
      { access: 'write', filter: 'homeassistant/device/sitrep_n1/config' },
    ]);
  });

  it('lets an integration write commands only with commands: true', () => {
    const writes = (who: Identity) => aclRules(who, t).filter((r) => r.access === 'write').map((r) => r.filter);
    expect(writes(integration)).toEqual([t.filter.query(), 'homeassistant/status']);
    expect(writes(commander)).toEqual([t.filter.cmd(), t.filter.query(), 'homeassistant/status']);
    expect(writes(viewer)).toEqual([t.filter.query()]);
  });
});
