/**
 * Real third-party clients: docs/examples/mosquitto.sh drives Debian's mosquitto_sub and
 * mosquitto_pub against a real broker and a real agent. mosquitto_sub sees the retained state;
 * mosquitto_pub sends a command the agent executes (allowed) or refuses (not allowed).
 */
import { execSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type Credentials, type TestBroker } from '@sitrep/broker/testing';
import { resolveAgentConfig, startAgent, type RunningAgent } from '@sitrep/agent';
import { memoryLogger } from '@sitrep/schemas';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCRIPT = join(ROOT, 'docs/examples/mosquitto.sh');

function haveClients(): boolean {
  const has = () => {
    try {
      execSync('command -v mosquitto_sub && command -v mosquitto_pub', { stdio: 'ignore', shell: '/bin/bash' });
      return true;
    } catch {
      return false;
    }
  };
  if (has()) return true;
  // The same installer scripts/test.sh runs (Debian's mosquitto-clients, when root).
  execSync(`bash -c 'source "${join(ROOT, 'scripts/lib/ensure-deps.sh')}" && ensure_mosquitto_clients'`, { stdio: 'inherit' });
  return has();
}

const available = haveClients();
if (!available) console.warn('SKIPPED: mosquitto_sub/mosquitto_pub are not installed and could not be (apt install mosquitto-clients)');

describe.skipIf(!available)('docs/examples/mosquitto.sh with the real Mosquitto clients', () => {
  let tb: TestBroker;
  let agent: RunningAgent;
  let viewer: Credentials;
  let operator: Credentials;
  const run = (who: Credentials, ...args: string[]) =>
    execa('bash', [SCRIPT, ...args], { reject: false, stdin: 'ignore', env: { SITREP_PORT: String(tb.broker.tcpPort), SITREP_USER: who.username, SITREP_PASSWORD: who.password } });

  beforeAll(async () => {
    tb = await startTestBroker();
    viewer = await tb.identity('viewer', 'shell-viewer');
    operator = await tb.identity('operator', 'shell-operator');
    const creds = await tb.identity('agent', 'agent-web-1', 'web-1');
    const config = resolveAgentConfig(
      {
        node: 'web-1',
        broker: { url: tb.tcpUrl, ...creds },
        interval: 3600,
        stateDir: mkdtempSync(join(tmpdir(), 'sitrep-mosq-')),
        updates: { enabled: false },
        processes: [{ id: 'web.app', command: ['sleep', '300'], actions: ['restart'] }],
      },
      'test',
    );
    agent = await startAgent({ config, log: memoryLogger('agent') });
  }, 30_000);
  afterAll(async () => {
    await agent?.stop();
    await tb?.close();
  });

  it('mosquitto_sub sees the retained node status and service state', async () => {
    const deadline = Date.now() + 15_000;
    let status = '';
    let services = '';
    // The agent publishes asynchronously after connecting: read again until its state is there.
    while (Date.now() < deadline) {
      status = (await run(viewer, 'status')).stdout;
      services = (await run(viewer, 'services', 'web-1')).stdout;
      if (status.includes('web-1 online') && services.includes('web-1 web.app running')) break;
    }
    expect(status).toBe('web-1 online');
    expect(services).toBe('web-1 web.app running running');
  }, 60_000);

  it('mosquitto_pub sends a command the agent executes when its config allows it', async () => {
    const r = await run(operator, 'cmd', 'web-1', 'restart', 'web.app');
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ node: 'web-1', action: 'restart', target: 'web.app', outcome: 'ok' });
  }, 60_000);

  it('and that the agent refuses when its config does not allow it', async () => {
    const r = await run(operator, 'cmd', 'web-1', 'stop', 'web.app');
    expect(r.exitCode).toBe(1);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(result).toMatchObject({ action: 'stop', target: 'web.app', outcome: 'refused' });
    expect(String(result['message'])).toMatch(/not allowed by this agent's config \(allowed: restart\)/);
    expect(agent.processes).toBeDefined();
  }, 60_000);

  it('refuses ids that would widen a topic or break the JSON', async () => {
    const r = await run(operator, 'cmd', 'web-1', 'restart', 'a"b');
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/invalid id: a"b/);
    expect((await run(viewer, 'services', '#')).stderr).toMatch(/invalid id: #/);
  }, 30_000);
});
