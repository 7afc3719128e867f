/**
 * `sitrep mcp` as a real child process spoken to over stdio with the official MCP SDK client,
 * against a real hub (broker + projector + SQLite) holding a fleet that published real payloads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { codecs } from '@sitrep/schemas';
import { SITREP } from './support/cli.js';
import { eventually, startTestHub, type TestHub } from './support/hub.js';
import { publishFleet, t, type Fleet } from './support/fleet.js';

let th: TestHub;
let fleet: Fleet;
const clients: Client[] = [];

beforeAll(async () => {
  th = await startTestHub();
  fleet = await publishFleet(th);
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  await th.close();
});

async function mcp(who: { username: string; password: string }): Promise<Client> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SITREP, 'mcp', '--url', th.tcpUrl, '--user', who.username],
    env: { PATH: process.env['PATH'] ?? '', SITREP_PASSWORD: who.password },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'sitrep-test', version: '1.0.0' });
  await client.connect(transport);
  clients.push(client);
  return client;
}

type CallResult = { isError?: boolean; content: { type: string; text: string }[] };
const text = (r: unknown) => (r as CallResult).content.map((c) => c.text).join('\n');

describe('sitrep mcp', () => {
  let viewer: Client;
  beforeAll(async () => {
    viewer = await mcp(fleet.viewer);
  }, 60_000);

  it('lists its tools with JSON Schema inputs from the TypeBox schemas', async () => {
    const { tools } = await viewer.listTools();
    expect(tools.map((x) => x.name).sort()).toEqual(['alerts', 'list_nodes', 'node_status', 'recent_logs', 'restart_service', 'run_check', 'service_status', 'start_service', 'stop_service', 'transitions']);
    const transitions = tools.find((x) => x.name === 'transitions')!;
    expect(transitions.inputSchema).toMatchObject({ type: 'object', properties: { node: { type: 'string', pattern: expect.any(String) }, limit: { type: 'integer', maximum: 10_000 } } });
    expect(tools.find((x) => x.name === 'restart_service')!.inputSchema).toMatchObject({ required: ['node', 'service'] });
    expect(tools.find((x) => x.name === 'list_nodes')!.annotations).toMatchObject({ readOnlyHint: true });
  }, 30_000);

  it('answers read tools from the projector over MQTT', async () => {
    const nodes = await eventually(async () => {
      const r = await viewer.callTool({ name: 'list_nodes', arguments: {} });
      const list = JSON.parse(text(r)) as { node: string; state: string }[];
      return list.length === 2 ? list : undefined;
    }, 'both nodes folded by the projector', 30_000);
    expect(nodes).toEqual([expect.objectContaining({ node: 'db-1', state: 'lost' }), expect.objectContaining({ node: 'web-1', state: 'online', cpuPercent: 12.4 })]);
    const status = await eventually(async () => {
      const r = (await viewer.callTool({ name: 'node_status', arguments: { node: 'web-1' } })) as CallResult;
      const s = JSON.parse(text(r)) as { services: { service: string; state: string }[]; checks: { check_id: string; status: string }[] };
      return s.services.length === 2 && s.checks.length === 1 ? s : undefined;
    }, 'web-1 services and checks', 30_000);
    expect(status.services).toEqual(expect.arrayContaining([expect.objectContaining({ service: 'nginx.service', state: 'failed' })]));
    expect(status.checks[0]).toMatchObject({ check_id: 'backups', status: 'FAILURE' });
    const missing = (await viewer.callTool({ name: 'node_status', arguments: { node: 'nope' } })) as CallResult;
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/no node nope; known: db-1, web-1/);
  }, 60_000);

  it('validates arguments against the schema before sending anything', async () => {
    const r = (await viewer.callTool({ name: 'transitions', arguments: { node: 'web-1', limit: 0 } })) as CallResult;
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^invalid arguments: transitions arguments at \/limit/);
    const wild = (await viewer.callTool({ name: 'restart_service', arguments: { node: '+', service: 'x' } })) as CallResult;
    expect(wild.isError).toBe(true);
    expect(text(wild)).toMatch(/at \/node/);
  }, 30_000);

  it('refuses write tools without operator credentials', async () => {
    const r = (await viewer.callTool({ name: 'restart_service', arguments: { node: 'web-1', service: 'nginx.service' } })) as CallResult;
    expect(r.isError).toBe(true);
    expect(text(r)).toBe(`refused: ${fleet.viewer.username} is not an operator identity; start, stop, restart and run need operator credentials`);
    // and the read side still works on the same server afterwards
    expect((await viewer.callTool({ name: 'alerts', arguments: {} })).isError).toBeFalsy();
  }, 30_000);

  it("sends an operator's command to the node and returns the agent's result", async () => {
    // web-1's agent connection answers like the agent does: a CommandResult on cmd/result.
    const agent = fleet.agents['web-1']!;
    await agent.subscribeAsync(t.cmd('web-1'), { qos: 1 });
    agent.on('message', (topic, payload) => {
      if (topic !== t.cmd('web-1')) return;
      const c = codecs.command.decode(payload);
      if (!c.ok) return;
      const result = { v: 1, node: 'web-1', id: c.value.id, action: c.value.action, target: c.value.target, outcome: 'ok', message: `${c.value.action} done by ${c.value.by ?? '?'}`, ts: Date.now(), durationMs: 5 };
      expect(codecs.commandResult.problem(result)).toBeNull();
      agent.publish(t.cmdResult('web-1'), JSON.stringify(result), { qos: 1 });
    });
    const op = await mcp(fleet.operator);
    const r = (await op.callTool({ name: 'restart_service', arguments: { node: 'web-1', service: 'nginx.service' } })) as CallResult;
    expect(r.isError).toBeFalsy();
    expect(JSON.parse(text(r))).toMatchObject({ node: 'web-1', action: 'restart', target: 'nginx.service', outcome: 'ok', message: `restart done by mcp:${fleet.operator.username}` });
  }, 60_000);
});
