import { describe, expect, it } from 'vitest';
import { createTopics } from '@sitrep/schemas';
import type { Identity } from '@sitrep/schemas/config';
import { canPublish, canSubscribe } from '../src/index.js';

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
