/**
 * What a login may do in the ui. The broker's ACL is the real gate (only operators may publish
 * commands); this keeps a viewer from seeing buttons that would be refused.
 */
import type { ActionName } from '@sitrep/schemas';

/** The role the hub reported for this login, or null while not (yet) known. */
export type Role = 'agent' | 'viewer' | 'operator' | 'service' | 'integration';

export const canOperate = (role: Role | null): boolean => role === 'operator';

/** Actions offered in the ui; replay and rebirth are for the projector. */
export const UI_ACTIONS: readonly ActionName[] = ['start', 'stop', 'restart', 'kill', 'run'];

/** The buttons to show: what the agent accepts for the target and the ui offers, for operators only. */
export function visibleActions(role: Role | null, accepted: readonly ActionName[] | undefined): ActionName[] {
  if (!canOperate(role) || accepted === undefined) return [];
  return UI_ACTIONS.filter((a) => accepted.includes(a));
}
