/**
 * The MCP tools: reads answered by the projector's history queries over MQTT (their input schemas
 * are the projector's own TypeBox argument schemas), and, for operators only, commands to agents.
 * Every call's arguments are validated against the tool's schema before anything is sent.
 */
import { Type, type TSchema } from '@sinclair/typebox';
import { createCodec, ItemId, NodeId } from '@sitrep/schemas';
import { QUERIES } from '@sitrep/projector';
import type { CommandResult } from '@sitrep/schemas';

export interface ToolContext {
  query(name: string, args: Record<string, unknown>): Promise<unknown>;
  /** Resolves with the agent's answer; rejects with NotOperatorError for non-operators. */
  command(node: string, action: 'start' | 'stop' | 'restart' | 'run', target: string): Promise<CommandResult>;
}

export interface Tool {
  name: string;
  description: string;
  inputSchema: TSchema;
  write: boolean;
  run(ctx: ToolContext, args: Record<string, unknown>): Promise<unknown>;
}

const NodeArg = { node: NodeId };

type NodeRow = { node: string } & Record<string, unknown>;
type ServiceRow = { service: string } & Record<string, unknown>;

const serviceTool = (action: 'start' | 'stop' | 'restart'): Tool => ({
  name: `${action}_service`,
  description: `${action[0]?.toUpperCase()}${action.slice(1)} a service on a node. Operators only; the node's agent refuses what its config does not allow. Returns the agent's result.`,
  inputSchema: Type.Object({ ...NodeArg, service: ItemId }),
  write: true,
  run: (ctx, a) => ctx.command(a['node'] as string, action, a['service'] as string),
});

export const TOOLS: readonly Tool[] = [
  {
    name: 'list_nodes',
    description: 'Every node of the fleet: state (online, offline, lost), host, OS, last seen, CPU/memory/disk use.',
    inputSchema: QUERIES.nodes.args,
    write: false,
    run: async (ctx) =>
      ((await ctx.query('nodes', {})) as NodeRow[]).map((n) => ({
        node: n.node, state: n['state'], hostname: n['hostname'], distro: n['distro'], kernel: n['kernel'], agentVersion: n['agent_version'],
        lastSeen: n['last_seen'], cpuPercent: n['cpu_percent'], memoryPercent: n['mem_percent'], rootDiskPercent: n['disk_percent'],
      })),
  },
  {
    name: 'node_status',
    description: "One node: its state and latest metrics, every service it watches (state vs expected) and its checks' latest results.",
    inputSchema: Type.Object(NodeArg),
    write: false,
    run: async (ctx, a) => {
      const node = a['node'] as string;
      const nodes = (await ctx.query('nodes', {})) as NodeRow[];
      const found = nodes.find((n) => n.node === node);
      if (found === undefined) throw new Error(`no node ${node}; known: ${nodes.map((n) => n.node).join(', ') || 'none'}`);
      const [services, checks] = await Promise.all([ctx.query('services', { node }), ctx.query('checks', { node, limit: 1 })]);
      return { node: found, services, checks: (checks as { current: unknown }).current };
    },
  },
  {
    name: 'service_status',
    description: 'One service on one node: current state, expected state, since when, and its recent transitions with their evidence (exit code, signal, last log lines).',
    inputSchema: Type.Object({ ...NodeArg, service: ItemId }),
    write: false,
    run: async (ctx, a) => {
      const node = a['node'] as string;
      const service = a['service'] as string;
      const all = (await ctx.query('services', { node })) as ServiceRow[];
      const current = all.find((s) => s.service === service);
      if (current === undefined) throw new Error(`node ${node} reports no service ${service}; it has: ${all.map((s) => s.service).join(', ') || 'none'}`);
      return { current, transitions: await ctx.query('transitions', { node, service, limit: 20 }) };
    },
  },
  { name: 'recent_logs', description: 'Recent log lines of a node, newest first, optionally of one source (a service).', inputSchema: QUERIES.logs.args, write: false, run: (ctx, a) => ctx.query('logs', a) },
  { name: 'transitions', description: 'Service state transitions (default: the last 7 days), newest first, with evidence.', inputSchema: QUERIES.transitions.args, write: false, run: (ctx, a) => ctx.query('transitions', a) },
  { name: 'alerts', description: 'Open alerts, and the alert history (default: the last 30 days).', inputSchema: QUERIES.alerts.args, write: false, run: (ctx, a) => ctx.query('alerts', a) },
  serviceTool('start'),
  serviceTool('stop'),
  serviceTool('restart'),
  {
    name: 'run_check',
    description: "Run one of a node's checks now. Operators only; the agent refuses checks its config does not let run on demand.",
    inputSchema: Type.Object({ ...NodeArg, check: ItemId }),
    write: true,
    run: (ctx, a) => ctx.command(a['node'] as string, 'run', a['check'] as string),
  },
];

const argCodecs = new Map(TOOLS.map((tool) => [tool.name, createCodec(`${tool.name} arguments`, tool.inputSchema)]));

/** Why `args` do not fit the tool, or null. */
export function argumentProblem(tool: Tool, args: unknown): string | null {
  const codec = argCodecs.get(tool.name);
  return codec === undefined ? `unknown tool ${tool.name}` : codec.problem(args);
}
