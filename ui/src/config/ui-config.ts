/**
 * Runtime config served by the hub at /ui-config.json, so one build works under any topic prefix
 * and behind any MQTT path. Anything missing or invalid falls back to the defaults field by field,
 * with a warning that says which field and why.
 */
import { createTopics, DEFAULT_PREFIX } from '@sitrep/schemas';
import { DEFAULT_MQTT_PATH, fetchUiConfig, isMqttPath, UI_CONFIG_URL, type RawUiConfig } from '../boot/early-start.js';

export { UI_CONFIG_URL };

export interface UiConfig {
  /** Topic prefix, e.g. `sitrep/v1`. */
  readonly prefix: string;
  /** Path of the MQTT-over-WebSocket endpoint on the page's own origin, e.g. `/mqtt`. */
  readonly mqttPath: string;
}

export const DEFAULT_UI_CONFIG: UiConfig = { prefix: DEFAULT_PREFIX, mqttPath: DEFAULT_MQTT_PATH };

export interface ParsedUiConfig {
  config: UiConfig;
  /** One line per field that fell back to its default. */
  warnings: string[];
}

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

  if (isMqttPath(raw.mqttPath)) mqttPath = raw.mqttPath;
  else warnings.push(`ui config mqttPath is not an absolute path; using ${DEFAULT_UI_CONFIG.mqttPath}`);

  return { config: { prefix, mqttPath }, warnings };
}

/** Fetch and validate the runtime config; never throws, a broken hub still gets a usable ui. */
export async function loadUiConfig(fetchFn: typeof fetch = fetch): Promise<ParsedUiConfig> {
  return readUiConfig(await fetchUiConfig(fetchFn));
}

/** Validate a config as fetched (here or by index.html's early start, boot/early-start.ts). */
export function readUiConfig(raw: RawUiConfig): ParsedUiConfig {
  if (!raw.ok) return { config: DEFAULT_UI_CONFIG, warnings: [`${raw.reason}; using defaults`] };
  return parseUiConfig(raw.body);
}
