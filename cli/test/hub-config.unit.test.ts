import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sitrep/schemas/config';
import { loadHubConfig } from '../src/hub/config.js';

describe('hub config', () => {
  it('ships a template that loads, with the documented defaults', () => {
    const c = loadHubConfig(new URL('../../deploy/hub.yaml', import.meta.url).pathname, true);
    expect(c.alerts).toEqual({ serviceDownAfter: 300_000, services: {}, nodeLostAfter: 0, staleIntervals: 3, checkWarning: false });
    expect(c.notifications.channels).toEqual([]);
  });

  it('uses defaults when the optional file is absent, and refuses a missing explicit one', () => {
    expect(loadHubConfig('/nonexistent/hub.yaml', false).alerts.serviceDownAfter).toBe(300_000);
    expect(() => loadHubConfig('/nonexistent/hub.yaml', true)).toThrow(/file not found/);
  });

  it('names the field of every mistake', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'sitrep-hubcfg-')), 'hub.yaml');
    writeFileSync(path, 'alerts:\n  serviceDownAfter: soon\n  bogus: 1\nnotifications:\n  channels:\n    - { name: x, type: pager }\n');
    try {
      loadHubConfig(path, true);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues.join('\n');
      expect(issues).toMatch(/^alerts\.serviceDownAfter: /m);
      expect(issues).toMatch(/bogus/);
      expect(issues).toMatch(/^notifications\.channels\.0/m);
    }
  });
});
