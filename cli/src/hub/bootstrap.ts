/**
 * First start of a hub: create the admin (operator) and the identities the hub's own projector and
 * local agent use, with random passwords. The internal passwords live in `hub-secrets.json` (0600)
 * so restarts reuse them; the admin password is shown once and kept in `initial-admin-password`
 * (0600) until the user deletes it, like other self-hosted tools do.
 */
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdentityStore } from '@sitrep/broker';
import type { Role } from '@sitrep/schemas/config';

export interface HubSecrets {
  projector: { username: string; password: string };
  agent: { username: string; password: string; node: string };
}

export interface Bootstrap {
  identities: IdentityStore;
  secrets: HubSecrets;
  /** Set only when the admin was created by this start. */
  newAdminPassword: string | null;
  adminPasswordFile: string;
}

function writePrivate(path: string, content: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** The passwords of the hub's internal identities, as far as they are stored in DATA. */
export function readHubSecrets(dataDir: string): Partial<HubSecrets> {
  return readSecrets(join(dataDir, 'hub-secrets.json'));
}

function readSecrets(path: string): Partial<HubSecrets> {
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<HubSecrets>;
  } catch {
    return {}; // Unreadable: the identities below are recreated with fresh passwords.
  }
}

export async function bootstrapHub(dataDir: string, node: string): Promise<Bootstrap> {
  const identities = IdentityStore.open(join(dataDir, 'identities.json'));
  const secretsPath = join(dataDir, 'hub-secrets.json');
  const stored = readSecrets(secretsPath);

  // An internal identity is reused only if both the secret and the identity still exist and match.
  async function internal(username: string, role: Role, saved: { password?: string } | undefined, boundNode?: string) {
    const existing = identities.get(username);
    if (existing !== undefined && saved?.password !== undefined && (await identities.verify(username, saved.password)) !== null) {
      return saved.password;
    }
    if (existing !== undefined) identities.remove(username);
    return identities.add(username, role, boundNode === undefined ? {} : { node: boundNode });
  }

  const projectorPassword = await internal('hub-projector', 'service', stored.projector);
  const agentUser = `agent-${node}`;
  const agentPassword = await internal(agentUser, 'agent', stored.agent?.username === agentUser ? stored.agent : undefined, node);
  const secrets: HubSecrets = {
    projector: { username: 'hub-projector', password: projectorPassword },
    agent: { username: agentUser, password: agentPassword, node },
  };
  writePrivate(secretsPath, `${JSON.stringify(secrets, null, 2)}\n`);

  const adminPasswordFile = join(dataDir, 'initial-admin-password');
  let newAdminPassword: string | null = null;
  if (identities.get('admin') === undefined) {
    newAdminPassword = await identities.add('admin', 'operator');
    writePrivate(adminPasswordFile, `${newAdminPassword}\n`);
  }
  return { identities, secrets, newAdminPassword, adminPasswordFile };
}
