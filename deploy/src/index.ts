export { BuildError, buildAgent, bundleForNode, type BuiltArtifact } from './artifact.js';
export { AGENT_ARTIFACT, AGENT_ENTRY, AGENT_UNIT_TEMPLATE, DEPLOY_DIR, INSTALL_SCRIPT, REPO_ROOT, SANDBOX_SCRIPT } from './paths.js';
export {
  SandboxError,
  sandboxUnavailable,
  startSandbox,
  type ExecOptions,
  type ExecResult,
  type Sandbox,
  type SandboxOptions,
  type SandboxTimings,
} from './sandbox.js';
export { unitProperties, waitForUnit } from './units.js';
export { agentNodeFlags, agentRunOptions, agentUnitEnvironment, UnitTemplateError } from './unit-flags.js';
