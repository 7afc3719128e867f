/**
 * Runtime config served by the hub at /ui-config.json, so one build works under any topic prefix
 * and behind any MQTT path. Anything missing or invalid falls back to the defaults field by field,
 * with a warning that says which field and why.
 */
import { createTopics, DEFAULT_PREFIX } from '@sitrep/schemas';

export interface UiConfig {
  /** Topic prefix, e.g. `sitrep/v1`. */
  readonly prefix: string;
  /** Path of the MQTT-over-WebSocket endpoint on the page's own origin, e.g. `/mqtt`. */
  readonly mqttPath: string;
}

export const DEFAULT_UI_CONFIG: UiConfig = { prefix: DEFAULT_PREFIX, mqttPath: '/mqtt' };
export const UI_CONFIG_URL = '/ui-config.json';

export interface ParsedUiConfig {
  config: UiConfig;
  /** One line per field that fell back to its default. */
  warnings: string[];
}

// An absolute path on the same origin: no scheme, no host, no query or fragment.
const MQTT_PATH = /^\/(?!\/)[^\s?#]*$/;

function prefixProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'is not a string';
  try {
    createTopics(value);
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

export function parseUiConfig(value: unknown): ParsedUiConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { config: DEFAULT_UI_CONFIG, warnings: ['ui config is not a JSON object; using defaults'] };
  }
  const raw = value as Record<string, unknown>;
  const warnings: string[] = [];
  let { prefix, mqttPath } = DEFAULT_UI_CONFIG;

  const badPrefix = prefixProblem(raw.prefix);
  if (badPrefix === null) prefix = raw.prefix as string;
  else warnings.push(`ui config prefix ${badPrefix}; using ${DEFAULT_UI_CONFIG.prefix}`);

  if (typeof raw.mqttPath === 'string' && MQTT_PATH.test(raw.mqttPath)) mqttPath = raw.mqttPath;
  else warnings.push(`ui config mqttPath is not an absolute path; using ${DEFAULT_UI_CONFIG.mqttPath}`);

  return { config: { prefix, mqttPath }, warnings };
}

/** Fetch and validate the runtime config; never throws, a broken hub still gets a usable ui. */
export async function loadUiConfig(fetchFn: typeof fetch = fetch): Promise<ParsedUiConfig> {
  let body: unknown;
  try {
    const res = await fetchFn(UI_CONFIG_URL, { cache: 'no-store' });
    if (!res.ok) return fallback(`${UI_CONFIG_URL} answered HTTP ${res.status}`);
    body = await res.json();
  } catch (err) {
    return fallback(`${UI_CONFIG_URL} unreadable: ${err instanceof Error ? err.message : String(err)}`);
  }
  return parseUiConfig(body);
}

function fallback(why: string): ParsedUiConfig {
  return { config: DEFAULT_UI_CONFIG, warnings: [`${why}; using defaults`] };
}
