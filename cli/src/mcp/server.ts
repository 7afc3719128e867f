/**
 * The MCP server on stdio: tools/list from the TypeBox schemas (they are JSON Schema), tools/call
 * validated, run, and answered as JSON text. Failures are tool errors (`isError`), which the
 * model can read, never protocol crashes. stdout belongs to JSON-RPC: logs go to stderr.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { argumentProblem, TOOLS, type ToolContext } from './tools.js';

export async function serveMcp(ctx: ToolContext, version: string): Promise<{ closed: Promise<void> }> {
  const server = new Server({ name: 'sitrep', version }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: TOOLS.map((t) => ({
      name: t.name,
      description: t.description,
      // TypeBox schemas are JSON Schema; JSON round trip drops TypeBox's symbol keys.
      inputSchema: JSON.parse(JSON.stringify(t.inputSchema)) as { type: 'object'; properties?: Record<string, object> },
      annotations: { readOnlyHint: !t.write, destructiveHint: t.write, openWorldHint: false },
    })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const tool = TOOLS.find((t) => t.name === req.params.name);
    const fail = (text: string) => ({ isError: true, content: [{ type: 'text' as const, text }] });
    if (tool === undefined) return fail(`unknown tool ${req.params.name}; tools: ${TOOLS.map((t) => t.name).join(', ')}`);
    const args = req.params.arguments ?? {};
    const problem = argumentProblem(tool, args);
    if (problem !== null) return fail(`invalid arguments: ${problem}`);
    try {
      const data = await tool.run(ctx, args);
      return { content: [{ type: 'text' as const, text: JSON.stringify(data, null, 2) }] };
    } catch (err) {
      return fail((err as Error).message);
    }
  });
  const transport = new StdioServerTransport();
  // The client going away closes stdin: that ends the server.
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await server.connect(transport);
  return { closed };
}
