import { Type, type Static } from '@sinclair/typebox';
import { Timestamp, Version } from './common.js';

export const ProjectorStatus = Type.Object(
  {
    v: Version,
    state: Type.Union([Type.Literal('online'), Type.Literal('offline')]),
    ts: Timestamp,
  },
  { $id: 'ProjectorStatus', title: 'Projector status', description: 'agents may hold events back while it is away' },
);
export type ProjectorStatus = Static<typeof ProjectorStatus>;
