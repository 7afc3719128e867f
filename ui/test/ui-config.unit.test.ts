import { describe, expect, it } from 'vitest';
import { DEFAULT_UI_CONFIG, loadUiConfig, parseUiConfig, UI_CONFIG_URL } from '../src/config/ui-config.js';

describe('parseUiConfig', () => {
  it('accepts what the hub serves', () => {
    expect(parseUiConfig({ prefix: 'acme/fleet', mqttPath: '/broker/mqtt' })).toEqual({
      config: { prefix: 'acme/fleet', mqttPath: '/broker/mqtt' },
      warnings: [],
    });
  });

  it('falls back field by field and says why', () => {
    const parsed = parseUiConfig({ prefix: 'a/#', mqttPath: '/ok' });
    expect(parsed.config).toEqual({ prefix: DEFAULT_UI_CONFIG.prefix, mqttPath: '/ok' });
    expect(parsed.warnings).toEqual([expect.stringContaining('contains + # or NUL')]);
  });

  it.each([['ws://elsewhere/mqtt'], ['//elsewhere/mqtt'], ['mqtt'], ['/mqtt?x=1'], [42]])(
    'refuses mqttPath %j, which would leave the page origin or is not a path',
    (mqttPath) => {
      const parsed = parseUiConfig({ prefix: 'sitrep/v1', mqttPath });
      expect(parsed.config.mqttPath).toBe('/mqtt');
      expect(parsed.warnings).toHaveLength(1);
    },
  );

  it('uses the defaults for anything but an object', () => {
    for (const value of [null, 'sitrep/v1', [], 3]) {
      expect(parseUiConfig(value).config).toEqual(DEFAULT_UI_CONFIG);
    }
  });
});

describe('loadUiConfig', () => {
  const respond = (body: string, status = 200): typeof fetch =>
    (async (url: RequestInfo | URL) => {
      expect(url).toBe(UI_CONFIG_URL);
      return new Response(body, { status });
    }) as typeof fetch;

  it('reads the served config', async () => {
    const { config } = await loadUiConfig(respond(JSON.stringify({ prefix: 'lab/v1', mqttPath: '/mqtt' })));
    expect(config.prefix).toBe('lab/v1');
  });

  it('falls back on HTTP errors, non-JSON bodies and network failures', async () => {
    const failing: typeof fetch = async () => {
      throw new TypeError('Failed to fetch');
    };
    for (const fetchFn of [respond('not found', 404), respond('<!doctype html>'), failing]) {
      const parsed = await loadUiConfig(fetchFn);
      expect(parsed.config).toEqual(DEFAULT_UI_CONFIG);
      expect(parsed.warnings).toHaveLength(1);
    }
  });
});
