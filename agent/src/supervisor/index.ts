/** Supervised processes: the public surface for the agent. */
export {
  createSupervisor,
  describeLifecycle,
  type CommandReply,
  type ProcessAction,
  type Supervisor,
  type SupervisorOptions,
  type WatchedProcess,
} from './supervisor.js';
export type { HealthCheckFailed, HealthCheckRecovered, ProcessExited, ProcessGaveUp, ProcessRestarted, ProcessTransition, SupervisorEvent } from './events.js';
export { runStateOf, type LogLine, type ProcessServiceState, type ServiceRunState } from './snapshot.js';
export type { Lifecycle, LifecycleStatus, Health } from './lifecycle.js';
export { defaultProbe, type Probe, type ProbeResult } from './probe.js';
export {
  definitionToYaml,
  loadDefinitions,
  parseDefinition,
  removeDefinition,
  saveDefinition,
  type DefinitionProblem,
  type LoadedDefinitions,
} from './definitions.js';
export { SupervisorError, type SupervisorErrorCode } from './errors.js';
