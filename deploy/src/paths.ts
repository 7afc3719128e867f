/** Where the deploy files live in the repository (absolute host paths; also valid inside a sandbox). */
import { fileURLToPath } from 'node:url';

const at = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));

export const REPO_ROOT = at('../../');
export const DEPLOY_DIR = at('../');
export const AGENT_ENTRY = at('../../cli/src/agent-main.ts');
/** Where `buildAgent()` writes by default (git-ignored: `dist/`). */
export const AGENT_ARTIFACT = at('../dist/sitrep-agent.cjs');
export const INSTALL_SCRIPT = at('../install-agent.sh');
export const AGENT_UNIT_TEMPLATE = at('../sitrep-agent.service');
export const SANDBOX_SCRIPT = at('../sandbox/systemd-sandbox.sh');
