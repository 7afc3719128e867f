export { startAgent, AGENT_VERSION, type AgentOptions, type RunningAgent } from './agent.js';
export { loadAgentConfig, resolveAgentConfig, DEFAULT_CONFIG_PATH, type ResolvedAgentConfig } from './config/load.js';
export { createMetricsCollector } from './collectors/proc-metrics.js';
export { createUpdatesChecker } from './collectors/updates.js';
export { collectHostInfo } from './collectors/host-info.js';
export { Sequence } from './events/sequence.js';
export { reconnectDelay } from './mqtt/backoff.js';
export * from './checks/index.js';
