/**
 * Identifier rules (DESIGN.md section 2). Every id is checked before it goes into a topic and
 * after it comes out of one, so `+`, `#`, `/`, NUL, a leading `$` and empty or over-long ids can
 * never widen a subscription or address somebody else's subtree.
 */

/** Agent node id. Lower case so the same host never appears twice under two spellings. */
export const NODE_ID_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';
/** Service, check, log-source and process ids that are not systemd unit names. */
export const ITEM_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$';
/**
 * systemd unit names as systemd spells them (`getty@tty1.service`, `foo\x2dbar.mount`):
 * systemd allows ASCII letters, digits, `:-_.\` and `@`, at most 255 characters (systemd.unit(5)).
 */
export const UNIT_NAME_PATTERN = '^[A-Za-z0-9:_.\\\\@-][A-Za-z0-9:_.\\\\@-]{0,254}$';

const nodeRe = new RegExp(NODE_ID_PATTERN);
const itemRe = new RegExp(ITEM_ID_PATTERN);
const unitRe = new RegExp(UNIT_NAME_PATTERN);

export type IdKind = 'node' | 'service' | 'check' | 'source';

export class InvalidIdError extends Error {
  readonly code = 'INVALID_ID';
  constructor(
    readonly kind: IdKind,
    readonly value: string,
    readonly reason: string,
  ) {
    super(`invalid ${kind} id ${JSON.stringify(value.slice(0, 80))}: ${reason}`);
    this.name = 'InvalidIdError';
  }
}

/** Why `value` is not a valid id of `kind`, or `null` when it is. */
export function idProblem(kind: IdKind, value: string): string | null {
  if (value.length === 0) return 'empty';
  if (/[+#/\u0000]/.test(value)) return 'contains an MQTT topic character (+ # / or NUL)';
  if (value.startsWith('$')) return 'starts with $';
  if (kind === 'node') {
    if (value.length > 63) return 'longer than 63 characters';
    return nodeRe.test(value) ? null : `does not match ${NODE_ID_PATTERN}`;
  }
  // Services and sources are usually systemd units; checks are plain ids.
  if (itemRe.test(value)) return null;
  if (kind !== 'check' && unitRe.test(value) && value !== '.' && value !== '..') return null;
  if (value.length > 255) return 'longer than 255 characters';
  return kind === 'check'
    ? `does not match ${ITEM_ID_PATTERN}`
    : `is neither an id (${ITEM_ID_PATTERN}) nor a systemd unit name`;
}

export function isValidId(kind: IdKind, value: string): boolean {
  return idProblem(kind, value) === null;
}

export function assertId(kind: IdKind, value: string): string {
  const problem = idProblem(kind, value);
  if (problem !== null) throw new InvalidIdError(kind, value, problem);
  return value;
}

/**
 * Default node id from a hostname: lower-cased, anything outside `[a-z0-9-]` turned into `-`,
 * leading non-alphanumerics dropped, cut to 63 characters.
 */
export function nodeIdFromHostname(hostname: string): string {
  const id = hostname
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^[^a-z0-9]+/, '')
    .slice(0, 63);
  return id.length > 0 ? id : 'node';
}
