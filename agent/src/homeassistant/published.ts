/**
 * Which components this node last announced to Home Assistant, kept in the agent's state
 * directory, so a component that left the config is deleted even across an agent restart, and a
 * device is removed when discovery is switched off.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Platform } from './discovery.js';

export type Published = Record<string, Platform>;
/** Components deleted from HA, kept in the retained payload (platform only) for a while. */
export type Removed = Record<string, { platform: Platform; since: number }>;

export interface PublishedState {
  deviceTopic: string;
  components: Published;
  removed: Removed;
}

const FILE = 'homeassistant.json';
const PLATFORMS = new Set(['sensor', 'binary_sensor', 'button']);

export function readPublished(stateDir: string): PublishedState | null {
  const path = join(stateDir, FILE);
  if (!existsSync(path)) return null;
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as { deviceTopic?: unknown; components?: unknown; removed?: unknown };
    if (typeof raw.deviceTopic !== 'string' || typeof raw.components !== 'object' || raw.components === null) return null;
    const components: Published = {};
    for (const [k, v] of Object.entries(raw.components)) if (typeof v === 'string' && PLATFORMS.has(v)) components[k] = v as Platform;
    const removed: Removed = {};
    for (const [k, v] of Object.entries(typeof raw.removed === 'object' && raw.removed !== null ? raw.removed : {})) {
      const r = v as { platform?: unknown; since?: unknown };
      if (typeof r.platform === 'string' && PLATFORMS.has(r.platform) && typeof r.since === 'number') removed[k] = { platform: r.platform as Platform, since: r.since };
    }
    return { deviceTopic: raw.deviceTopic, components, removed };
  } catch {
    return null; // Unreadable: treated as "nothing published"; the next discovery rewrites it.
  }
}

export function writePublished(stateDir: string, state: PublishedState): void {
  const path = join(stateDir, FILE);
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(state)}\n`);
  renameSync(tmp, path);
}

export function forgetPublished(stateDir: string): void {
  rmSync(join(stateDir, FILE), { force: true });
}
