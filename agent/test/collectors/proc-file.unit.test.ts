import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createProcFileReader } from '../../src/collectors/proc-file.js';

describe('createProcFileReader', () => {
  it('grows its buffer for a large file and reuses it for the next', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sitrep-procfile-'));
    const big = 'x'.repeat(100_000) + '\nend\n';
    writeFileSync(join(dir, 'big'), big);
    writeFileSync(join(dir, 'small'), 'cpu 1 2 3\nintr 4 5 6\n');
    const reader = createProcFileReader(16);
    expect(reader.read(join(dir, 'big'))).toBe(big);
    expect(reader.read(join(dir, 'small'))).toBe('cpu 1 2 3\nintr 4 5 6\n');
    expect(reader.read(join(dir, 'small'), '\nintr')).toBe('cpu 1 2 3');
  });

  it('maps a missing file to a coded error naming it', () => {
    expect(() => createProcFileReader().read('/nonexistent/stat')).toThrow(
      expect.objectContaining({ code: 'PROC_READ_FAILED', message: expect.stringContaining('/nonexistent/stat') }),
    );
  });

  it('reads the real /proc/stat up to the intr line', () => {
    const text = createProcFileReader().read('/proc/stat', '\nintr');
    expect(text.startsWith('cpu ')).toBe(true);
    expect(text).not.toContain('intr');
  });
});
