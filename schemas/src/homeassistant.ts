/**
 * Home Assistant's side of the bus (DESIGN.md section 3, last row): the device discovery topic of
 * each sitrep node and Home Assistant's birth topic. Written here, like every other topic, so the
 * agent that publishes them and the broker's ACL that guards them cannot disagree.
 */
import { assertId } from './ids.js';
import { InvalidPrefixError } from './topics.js';

export const DEFAULT_HA_PREFIX = 'homeassistant';

/** HA object ids (and discovery ids) allow only these characters. */
export const HA_ID_PATTERN = /^[a-zA-Z0-9_-]+$/;

export interface HaTopics {
  readonly prefix: string;
  /** The discovery id of a node's device: `sitrep_{node}` (node ids are already HA-safe). */
  deviceId(node: string): string;
  /** `{prefix}/device/sitrep_{node}/config`: retained device discovery, QoS 1. */
  deviceConfig(node: string): string;
  /** `{prefix}/status`: Home Assistant's birth (`online`) and will (`offline`). */
  status(): string;
}

export function createHaTopics(prefix: string = DEFAULT_HA_PREFIX): HaTopics {
  if (prefix === '' || prefix.startsWith('$') || /[+#\u0000]/.test(prefix) || prefix.split('/').some((l) => l === '')) {
    throw new InvalidPrefixError(prefix, 'not a valid Home Assistant discovery prefix');
  }
  const deviceId = (node: string) => `sitrep_${assertId('node', node)}`;
  return {
    prefix,
    deviceId,
    deviceConfig: (node) => `${prefix}/device/${deviceId(node)}/config`,
    status: () => `${prefix}/status`,
  };
}

/**
 * Map any sitrep id to an HA object id reversibly: letters, digits and `-` stay, every other
 * character (`_` included) becomes `_` and two hex digits per UTF-8 byte, so `a.b` (`a_2eb`) and
 * `a-b` never collide and the original can always be read back.
 */
export function haObjectId(id: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(id)) {
    const c = String.fromCharCode(byte);
    out += /[a-zA-Z0-9-]/.test(c) ? c : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

export function fromHaObjectId(objectId: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < objectId.length; i++) {
    if (objectId[i] === '_') {
      bytes.push(parseInt(objectId.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(objectId.charCodeAt(i));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}
