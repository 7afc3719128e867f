import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderContract } from '../scripts/render-contract.js';

const dir = join(import.meta.dirname, '..', '..', 'docs', 'contract');

describe('generated contract docs', () => {
  it('are up to date with the schemas (run `pnpm contract` when this fails)', () => {
    for (const [name, content] of renderContract()) {
      expect(readFileSync(join(dir, name), 'utf8'), name).toBe(content);
    }
  });

  it('are valid JSON Schema documents with ids', () => {
    for (const [name, content] of renderContract()) {
      if (!name.endsWith('.json')) continue;
      const doc = JSON.parse(content) as { $id?: string; $schema?: string };
      expect(doc.$id, name).toBe(name.replace(/^schemas\/|\.json$/g, ''));
      expect(doc.$schema).toMatch(/json-schema/);
    }
  });
});
