/**
 * How the shipped unit runs the agent, read from `sitrep-agent.service` itself: the node options
 * on its ExecStart line and its Environment= settings. The bench and the tests run the agent with
 * exactly these, so they cannot drift from what a host runs.
 */
import { readFileSync } from 'node:fs';
import { AGENT_UNIT_TEMPLATE } from './paths.js';

export class UnitTemplateError extends Error {
  readonly code = 'UNIT_TEMPLATE';
}

const EXEC_START = /^ExecStart=\/usr\/bin\/env node((?: --[a-z0-9-]+(?:=[^\s]+)?)*) \/opt\/sitrep\/sitrep-agent\.cjs /m;
const ENVIRONMENT = /^Environment=([A-Za-z_][A-Za-z0-9_]*=[^\s"']*)$/gm;

const unitText = () => readFileSync(AGENT_UNIT_TEMPLATE, 'utf8');

/** The `--flag[=value]` words between `node` and the artifact on the unit's ExecStart line. */
export function agentNodeFlags(text: string = unitText()): string[] {
  const m = EXEC_START.exec(text);
  if (m === null) throw new UnitTemplateError("no 'ExecStart=/usr/bin/env node [--flag...] /opt/sitrep/sitrep-agent.cjs ...' line in the agent unit");
  return m[1]!.trim() === '' ? [] : m[1]!.trim().split(' ');
}

/** The unit's `Environment=NAME=value` settings (one unquoted assignment per line), as NAME=value. */
export function agentUnitEnvironment(text: string = unitText()): string[] {
  return [...text.matchAll(ENVIRONMENT)].map((m) => m[1]!);
}

/** `systemd-run` options that run a transient unit the way the shipped unit runs the agent. */
export function agentRunOptions(text: string = unitText()): string[] {
  return agentUnitEnvironment(text).map((kv) => `--setenv=${kv}`);
}
