/**
 * Identities for simulated nodes in a hub's data directory: one agent identity per node (each
 * bound to its own node id, so the broker's ACLs treat them exactly as real agents), sharing one
 * generated password kept next to the identities (0600) so a second run reuses the same fleet.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdentityStore, generatePassword } from '@sitrep/broker';

export interface SimCredentials {
  username(node: string): string;
  password: string;
}

export function simNodeId(prefix: string, i: number, width: number): string {
  return `${prefix}-${String(i + 1).padStart(width, '0')}`;
}

export async function enrollSimulatedNodes(dataDir: string, nodes: readonly string[]): Promise<{ creds: SimCredentials; created: number }> {
  const secretPath = join(dataDir, 'simulator.secret');
  const password = existsSync(secretPath) ? readFileSync(secretPath, 'utf8').trim() : generatePassword();
  writeFileSync(secretPath, `${password}\n`, { mode: 0o600 });
  const store = IdentityStore.open(join(dataDir, 'identities.json'));
  const created = await store.upsertMany(nodes.map((node) => ({ username: `agent-${node}`, role: 'agent' as const, node })), password);
  return { creds: { username: (node) => `agent-${node}`, password }, created };
}
