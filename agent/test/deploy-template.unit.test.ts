import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { AgentConfig } from '@sitrep/schemas/config';

describe('deploy/agent.yaml', () => {
  it('is a valid agent config as shipped', () => {
    const raw: unknown = parse(readFileSync(new URL('../../deploy/agent.yaml', import.meta.url), 'utf8'));
    const result = AgentConfig.safeParse(raw);
    expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
    expect(result.data?.interval).toBe(10_000);
  });
});
