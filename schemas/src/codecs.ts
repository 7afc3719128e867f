/** One compiled codec per payload schema. */
import { createCodec } from './codec.js';
import { Command, CommandResult } from './payloads/commands.js';
import { AgentEvent } from './payloads/events.js';
import { ProjectorStatus } from './payloads/hub.js';
import { LogBatch } from './payloads/logs.js';
import { Birth, CheckResult, Metrics, ServiceState, Status } from './payloads/state.js';

export const codecs = {
  status: createCodec('Status', Status),
  birth: createCodec('Birth', Birth),
  metrics: createCodec('Metrics', Metrics),
  serviceState: createCodec('ServiceState', ServiceState),
  checkResult: createCodec('CheckResult', CheckResult),
  event: createCodec('AgentEvent', AgentEvent),
  command: createCodec('Command', Command),
  commandResult: createCodec('CommandResult', CommandResult),
  logBatch: createCodec('LogBatch', LogBatch),
  projectorStatus: createCodec('ProjectorStatus', ProjectorStatus),
} as const;
