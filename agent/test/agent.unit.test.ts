import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sitrep/schemas/config';
import { loadAgentConfig, reconnectDelay, Sequence } from '../src/index.js';
import { handleCommand } from '../src/commands/handle.js';
import { createRateLimiter } from '../src/commands/rate-limit.js';

const dir = () => mkdtempSync(join(tmpdir(), 'sitrep-agent-'));

function configError(yaml: string): string[] {
  const path = join(dir(), 'agent.yaml');
  writeFileSync(path, yaml);
  try {
    loadAgentConfig(path);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(path);
    return [...(err as ConfigError).issues];
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('loads a valid file with defaults and a password file', () => {
    const d = dir();
    writeFileSync(join(d, 'pw'), 'secret\n');
    writeFileSync(join(d, 'agent.yaml'), `node: web-1\nbroker:\n  url: mqtt://127.0.0.1:1883\n  username: agent-web-1\n  passwordFile: ${join(d, 'pw')}\ninterval: 5s\n`);
    const c = loadAgentConfig(join(d, 'agent.yaml'));
    expect(c).toMatchObject({ node: 'web-1', interval: 5000, broker: { password: 'secret', prefix: 'sitrep/v1' } });
  });

  it.each([
    ['node: Web 1\nbroker: {url: "mqtt://h", username: u, password: p}\n', /^node: must match/],
    ['broker: {url: "mqtt://h", username: u, password: p}\ncolour: blue\n', /colour/],
    ['broker: {url: "mqtt://h", username: u, password: p, port: 1}\n', /^broker: .*port/],
    ['broker: {url: "mqtt://h", username: u, password: p}\ninterval: -3\n', /^interval: must be a positive/],
    ['broker: [1, 2\n', /line \d+: not valid YAML/],
    ['broker: {url: "mqtt://h", username: u, passwordFile: /nonexistent/pw}\n', /broker\.passwordFile: cannot read \/nonexistent\/pw: ENOENT/],
  ])('rejects %j with the field path', (yaml, reason) => {
    expect(configError(yaml).join('\n')).toMatch(reason);
  });

  it('says when the file is missing', () => {
    expect(() => loadAgentConfig('/nonexistent/agent.yaml')).toThrow(/agent.yaml is invalid:\n {2}- file not found/);
  });
});

describe('sequence', () => {
  it('survives a restart and never reuses a number', () => {
    const d = dir();
    const a = new Sequence(d);
    expect([a.next(), a.next(), a.next()]).toEqual([1, 2, 3]);
    const b = new Sequence(d);
    expect(b.current).toBe(3);
    expect(b.next()).toBe(4);
  });

  it('refuses a corrupt counter instead of restarting at 1', () => {
    const d = dir();
    writeFileSync(join(d, 'seq'), 'garbage');
    expect(() => new Sequence(d)).toThrow(/not a sequence number/);
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially to a cap, with jitter of +-50%', () => {
    expect(reconnectDelay(0, () => 0)).toBe(500);
    expect(reconnectDelay(0, () => 0.999)).toBe(1499);
    expect(reconnectDelay(3, () => 0.5)).toBe(8000);
    expect(reconnectDelay(50, () => 0.5)).toBe(30_000);
    const spread = new Set(Array.from({ length: 50 }, () => reconnectDelay(2)));
    expect(spread.size).toBeGreaterThan(10);
  });
});

describe('commands', () => {
  // The decision logic alone: systemctl itself is exercised against a real systemd in deploy/test.
  const ran: string[] = [];
  const ctx = {
    node: 'n1',
    now: () => 1000,
    rebirth: async () => undefined,
    replay: (from: number) => (from >= 5 ? { ok: true, message: `replayed from ${from}` } : { ok: false, message: 'seq 1 is no longer kept' }),
    allowedActions: (unit: string) => (unit === 'nginx.service' ? (['restart'] as const) : unit === 'ro.service' ? ([] as const) : undefined),
    runAction: async (action: string, unit: string) => {
      ran.push(`${action} ${unit}`);
      return { ok: true, message: 'done' };
    },
    runCheck: async (id: string) => (id === 'backups' ? { outcome: 'ok' as const, message: 'OK: fine' } : { outcome: 'refused' as const, message: `${id} is not a check of this agent` }),
  };
  it.each([
    ['not json', 'refused', /invalid command: payload is not JSON/],
    ['{"id":"c1","action":"format","target":"/"}', 'refused', /invalid command: Command at \/action/],
    ['{"id":"c1","action":"stop","target":"nginx.service"}', 'refused', /not allowed by this agent's config \(allowed: restart\)/],
    ['{"id":"c1","action":"start","target":"ro.service"}', 'refused', /allowed: none/],
    ['{"id":"c1","action":"restart","target":"sshd.service"}', 'refused', /not a service this agent watches/],
    ['{"id":"c1","action":"kill","target":"nginx.service"}', 'refused', /not allowed by this agent's config/],
    ['{"id":"c1","action":"restart","target":"nginx.service","expiresAt":999}', 'expired', /expired 1 ms/],
    ['{"id":"c1","action":"restart","target":"nginx.service"}', 'ok', /done/],
    ['{"id":"c1","action":"rebirth","target":""}', 'ok', /republished/],
    ['{"id":"c1","action":"replay","target":"","args":{"fromSeq":7}}', 'ok', /replayed from 7/],
    ['{"id":"c1","action":"replay","target":"","args":{"fromSeq":1}}', 'failed', /no longer kept/],
    ['{"id":"c1","action":"replay","target":""}', 'refused', /needs args.fromSeq/],
    ['{"id":"c1","action":"run","target":"backups"}', 'ok', /OK: fine/],
    ['{"id":"c1","action":"run","target":"other"}', 'refused', /not a check of this agent/],
  ])('answers %s with %s', async (payload, outcome, message) => {
    const { result, event } = await handleCommand(ctx, Buffer.from(payload));
    expect(result.outcome).toBe(outcome);
    expect(result.message).toMatch(message);
    expect(event.outcome).toBe(outcome);
  });

  it('runs only allowed, unexpired actions', async () => {
    ran.length = 0;
    await handleCommand(ctx, Buffer.from('{"id":"a","action":"stop","target":"nginx.service"}'));
    await handleCommand(ctx, Buffer.from('{"id":"b","action":"restart","target":"nginx.service","expiresAt":1}'));
    await handleCommand(ctx, Buffer.from('{"id":"c","action":"restart","target":"nginx.service"}'));
    expect(ran).toEqual(['restart nginx.service']);
  });

  it('refuses commands past the rate limit, and accepts again once tokens refill', async () => {
    let clock = 0;
    const limiter = createRateLimiter(5, 20, () => clock);
    const limited = { ...ctx, allowNow: () => limiter.take() };
    const outcomes: string[] = [];
    for (let i = 0; i < 25; i++) outcomes.push((await handleCommand(limited, Buffer.from('{"id":"f","action":"rebirth","target":""}'))).result.outcome);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(20);
    expect((await handleCommand(limited, Buffer.from('{"id":"f","action":"rebirth","target":""}'))).result.message).toMatch(/rate limited/);
    clock += 1000;
    expect((await handleCommand(limited, Buffer.from('{"id":"g","action":"rebirth","target":""}'))).result.outcome).toBe('ok');
  });

  it('echoes the id of an invalid command so the sender can match the refusal', async () => {
    const { result } = await handleCommand(ctx, Buffer.from('{"id":"c9","action":"nope"}'));
    expect(result).toMatchObject({ id: 'c9', action: 'nope', outcome: 'refused' });
  });
});

describe('host info', () => {
  it('reads os-release and the default route', async () => {
    const { parseOsRelease, defaultRouteInterface } = await import('../src/collectors/host-info.js');
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n')).toEqual({ distro: 'Debian GNU/Linux', release: '12' });
    expect(parseOsRelease('NAME=Arch Linux\nBUILD_ID=rolling\n')).toEqual({ distro: 'Arch Linux', release: '' });
    const routes = 'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n' +
      'eth1\t0010A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n' +
      'eth0\t00000000\t0100A8C0\t0003\t0\t0\t0\t00000000\n';
    expect(defaultRouteInterface(routes)).toBe('eth0');
    expect(defaultRouteInterface('Iface\tDestination\n')).toBeNull();
  });
});
