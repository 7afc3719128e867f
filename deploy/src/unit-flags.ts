/**
 * The node options the shipped unit runs the agent with, read from `sitrep-agent.service` itself,
 * so that the bench and the tests run the agent exactly as a host does and cannot drift from it.
 */
import { readFileSync } from 'node:fs';
import { AGENT_UNIT_TEMPLATE } from './paths.js';

export class UnitTemplateError extends Error {
  readonly code = 'UNIT_TEMPLATE';
}

const EXEC_START = /^ExecStart=\/usr\/bin\/env node((?: --[a-z0-9-]+(?:=[^\s]+)?)*) \/opt\/sitrep\/sitrep-agent\.cjs /m;

/** The `--flag[=value]` words between `node` and the artifact on the unit's ExecStart line. */
export function agentNodeFlags(unitText: string = readFileSync(AGENT_UNIT_TEMPLATE, 'utf8')): string[] {
  const m = EXEC_START.exec(unitText);
  if (m === null) throw new UnitTemplateError("no 'ExecStart=/usr/bin/env node [--flag...] /opt/sitrep/sitrep-agent.cjs ...' line in the agent unit");
  return m[1]!.trim() === '' ? [] : m[1]!.trim().split(' ');
}
