import { describe, expect, it } from 'vitest';
import { AgentConfig, ConfigError, Duration, parseConfig } from '../src/config/index.js';

const base = { broker: { url: 'mqtt://127.0.0.1:1883', username: 'agent-n1', password: 'pw' } };

describe('agent config', () => {
  it('applies defaults', () => {
    const c = parseConfig(AgentConfig, base, 'agent.yaml');
    expect(c.interval).toBe(10_000);
    expect(c.broker.prefix).toBe('sitrep/v1');
  });

  it('names the field path and reason of every problem', () => {
    const bad = { ...base, interval: 'soon', extra: 1, broker: { ...base.broker, url: 'http://x' } };
    try {
      parseConfig(AgentConfig, bad, 'agent.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues.join('\n');
      expect(issues).toMatch(/^interval: "soon" is not a duration/m);
      expect(issues).toMatch(/^broker\.url: must be a URL/m);
      expect(issues).toMatch(/extra/);
    }
  });

  it('requires a password or password file', () => {
    expect(() => parseConfig(AgentConfig, { broker: { url: 'mqtt://h', username: 'u' } }, 'f')).toThrow(/broker\.password/);
  });

  it.each([
    [10, 10_000],
    ['500ms', 500],
    ['5m', 300_000],
    ['1.5s', 1500],
    ['2h', 7_200_000],
  ])('parses duration %j', (input, ms) => {
    expect(Duration.parse(input)).toBe(ms);
  });

  it.each([0, -1, 'x', '5 parsecs', '0s'])('rejects duration %j', (input) => {
    expect(Duration.safeParse(input).success).toBe(false);
  });
});
