/** Commands on `nodes/{node}/cmd` and their results on `cmd/result` (DESIGN.md section 5). */
import { Type, type Static } from '@sinclair/typebox';
import { Action, NodeId, Timestamp, Version } from './common.js';
import { CommandOutcome } from './events.js';

export const CommandId = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'unique per command' });

export const Command = Type.Object(
  {
    id: CommandId,
    action: Action,
    target: Type.String({ maxLength: 255, description: 'service or check id; empty for node-wide actions' }),
    args: Type.Optional(
      Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean()]), {
        description: 'action arguments, e.g. { "fromSeq": 42 } for replay',
      }),
    ),
    by: Type.Optional(Type.String({ maxLength: 128, description: 'who asked (informational)' })),
    expiresAt: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch; later means refused' })),
  },
  { $id: 'Command', title: 'Command', description: 'an action for the agent; checked against its own allow-list' },
);
export type Command = Static<typeof Command>;

export const CommandResult = Type.Object(
  {
    v: Version,
    node: NodeId,
    id: Type.String({ maxLength: 64, description: 'the command id, or "" when the command could not be parsed' }),
    action: Type.String({ maxLength: 32 }),
    target: Type.String({ maxLength: 255 }),
    outcome: CommandOutcome,
    message: Type.String({ maxLength: 4096 }),
    ts: Timestamp,
    durationMs: Type.Number({ minimum: 0 }),
  },
  { $id: 'CommandResult', title: 'Command result', description: 'the answer to one command' },
);
export type CommandResult = Static<typeof CommandResult>;
