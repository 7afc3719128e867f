/** The node options and environment the bench and the sandbox tests copy from the shipped unit. */
import { describe, expect, it } from 'vitest';
import { agentNodeFlags, agentRunOptions, agentUnitEnvironment, UnitTemplateError } from '../src/index.js';

describe('the agent unit as the bench and tests read it', () => {
  it('yields the node options of ExecStart and the Environment= settings of the shipped unit', () => {
    expect(agentNodeFlags()).toEqual(['--lite-mode', '--no-expose-wasm', '--max-semi-space-size=1', '--max-old-space-size=96']);
    expect(agentUnitEnvironment()).toEqual(['MALLOC_MMAP_THRESHOLD_=32768']);
    expect(agentRunOptions()).toEqual(['--setenv=MALLOC_MMAP_THRESHOLD_=32768']);
  });

  it('reads a unit without flags or environment, and refuses one without the expected ExecStart', () => {
    const bare = '[Service]\nExecStart=/usr/bin/env node /opt/sitrep/sitrep-agent.cjs --config /etc/sitrep/agent.yaml\n';
    expect(agentNodeFlags(bare)).toEqual([]);
    expect(agentUnitEnvironment(bare)).toEqual([]);
    expect(() => agentNodeFlags('[Service]\nExecStart=/usr/bin/node /opt/other.js\n')).toThrow(UnitTemplateError);
  });
});
