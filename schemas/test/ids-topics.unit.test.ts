import { describe, expect, it } from 'vitest';
import { createTopics, idProblem, InvalidIdError, InvalidPrefixError, nodeIdFromHostname } from '../src/index.js';

const t = createTopics('sitrep/v1');

describe('ids', () => {
  it.each([
    ['node', 'web-1', true],
    ['node', 'a', true],
    ['node', 'Web-1', false],
    ['node', '-web', false],
    ['node', 'a'.repeat(63), true],
    ['node', 'a'.repeat(64), false],
    ['node', '+', false],
    ['node', '#', false],
    ['node', 'a/b', false],
    ['node', 'a\u0000b', false],
    ['node', '$sys', false],
    ['node', '', false],
    ['service', 'nginx.service', true],
    ['service', 'getty@tty1.service', true],
    ['service', 'foo\\x2dbar.mount', true],
    ['service', 'my-app', true],
    ['service', 'a+b', false],
    ['service', '..', false],
    ['check', 'backups', true],
    ['check', 'a\\b', false],
  ] as const)('%s id %j valid=%s', (kind, value, valid) => {
    expect(idProblem(kind, value) === null).toBe(valid);
  });

  it('derives node ids from hostnames', () => {
    expect(nodeIdFromHostname('Web01.Example.COM')).toBe('web01-example-com');
    expect(nodeIdFromHostname('--x')).toBe('x');
    expect(nodeIdFromHostname('')).toBe('node');
    expect(idProblem('node', nodeIdFromHostname('É'.repeat(100)))).toBeNull();
  });
});

describe('topics', () => {
  it('builds every topic and parses it back', () => {
    const cases = [
      [t.status('n1'), { kind: 'status', node: 'n1' }],
      [t.birth('n1'), { kind: 'birth', node: 'n1' }],
      [t.metrics('n1'), { kind: 'metrics', node: 'n1' }],
      [t.service('n1', 'getty@tty1.service'), { kind: 'service', node: 'n1', service: 'getty@tty1.service' }],
      [t.check('n1', 'backups'), { kind: 'check', node: 'n1', check: 'backups' }],
      [t.events('n1'), { kind: 'events', node: 'n1' }],
      [t.logs('n1', 'nginx.service'), { kind: 'logs', node: 'n1', source: 'nginx.service' }],
      [t.logsTail('n1', 'worker'), { kind: 'logsTail', node: 'n1', source: 'worker' }],
      [t.cmd('n1'), { kind: 'cmd', node: 'n1' }],
      [t.cmdResult('n1'), { kind: 'cmdResult', node: 'n1' }],
      [t.projectorStatus(), { kind: 'projectorStatus' }],
      [t.alerts(), { kind: 'alerts' }],
      [t.summary(), { kind: 'summary' }],
      [t.query('transitions'), { kind: 'query', name: 'transitions' }],
      [t.reply('ui-abc'), { kind: 'reply', client: 'ui-abc' }],
    ] as const;
    for (const [topic, parsed] of cases) expect(t.parse(topic)).toEqual({ ok: true, topic: parsed });
    expect(t.status('n1')).toBe('sitrep/v1/nodes/n1/status');
    expect(t.logsTail('n1', 'worker')).toBe('sitrep/v1/nodes/n1/logs/worker/tail');
    // The batches' filter does not match the retained tails, and a bad id is refused in either place.
    expect(t.filter.logs()).toBe('sitrep/v1/nodes/+/logs/+');
    expect(t.parse('sitrep/v1/nodes/n1/logs/a+b/tail')).toMatchObject({ ok: false });
    expect(t.parse('sitrep/v1/nodes/n1/logs/worker/head')).toMatchObject({ ok: false });
  });

  it('refuses to build a topic from a bad id, so a + can never widen a filter', () => {
    expect(() => t.status('+')).toThrow(InvalidIdError);
    expect(() => t.filter.status('#')).toThrow(InvalidIdError);
    expect(() => t.service('n1', 'a/b')).toThrow(/invalid service id/);
    expect(t.filter.services()).toBe('sitrep/v1/nodes/+/services/+');
    expect(t.filter.node('n1')).toBe('sitrep/v1/nodes/n1/#');
  });

  it.each([
    ['other/v1/nodes/n1/status', /not under prefix/],
    ['sitrep/v1/nodes/N1/status', /node id "N1"/],
    ['sitrep/v1/nodes/a+b/metrics', /MQTT topic character/],
    ['sitrep/v1/nodes/n1/bogus', /unknown node topic/],
    ['sitrep/v1/nodes/n1/services/a+b', /service id/],
    ['sitrep/v1/nodes/n1/services/x/extra', /unknown node topic/],
    ['sitrep/v1/nodes//status', /node id "" empty/],
    ['sitrep/v1/hub/nope', /unknown hub topic/],
    ['sitrep/v1/elsewhere', /unknown area/],
  ])('rejects %s', (topic, reason) => {
    const r = t.parse(topic);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('validates the prefix', () => {
    expect(() => createTopics('')).toThrow(InvalidPrefixError);
    expect(() => createTopics('a/+/b')).toThrow(InvalidPrefixError);
    expect(() => createTopics('$SYS')).toThrow(InvalidPrefixError);
    expect(() => createTopics('a//b')).toThrow(InvalidPrefixError);
    expect(createTopics('acme/fleet').status('x')).toBe('acme/fleet/nodes/x/status');
  });
});
