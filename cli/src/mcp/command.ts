import { CliError } from '../errors.js';

export async function mcpCommand(_argv: string[]): Promise<void> {
  throw new CliError('mcp: not implemented yet');
}
