import { Type, type TLiteral, type TSchema } from '@sinclair/typebox';
import { ITEM_ID_PATTERN, NODE_ID_PATTERN, UNIT_NAME_PATTERN } from '../ids.js';

/** Payload format version; bumped only with a new topic root (`sitrep/v2`). */
export const PAYLOAD_VERSION = 1;

export const Version = Type.Literal(PAYLOAD_VERSION, { description: 'payload format version' });
export const NodeId = Type.String({ pattern: NODE_ID_PATTERN, description: 'agent node id' });
export const ItemId = Type.String({
  pattern: `${ITEM_ID_PATTERN}|${UNIT_NAME_PATTERN}`,
  maxLength: 255,
  description: 'service, check or log source id (or a systemd unit name)',
});
export const Timestamp = Type.Integer({ minimum: 0, description: 'milliseconds since the Unix epoch, UTC' });
export const Session = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'changes on every agent start and reconnect; repeated in the will',
});
export const Bytes = Type.Number({ minimum: 0, description: 'bytes' });
export const Percent = Type.Number({ minimum: 0, maximum: 100, description: 'percent, 0-100' });
export const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Expect = Type.Union([Type.Literal('running'), Type.Literal('stopped'), Type.Literal('any')], {
  description: 'what state the agent config expects this service to be in',
});
export const ACTIONS = ['start', 'stop', 'restart', 'run', 'kill', 'replay', 'rebirth'] as const;
export type ActionName = (typeof ACTIONS)[number];
export const Action = Type.Union(
  ACTIONS.map((a) => Type.Literal(a)) as [TLiteral<'start'>, ...TLiteral<ActionName>[]],
  { description: 'command action' },
);
