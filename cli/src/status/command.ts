/** `sitrep status`: the fleet at a glance, from any machine that can reach the hub's broker. */
import { createTopics } from '@sitrep/schemas';
import { parse } from '../args.js';
import { connectRemote } from '../remote/connect.js';
import { REMOTE_HELP, REMOTE_OPTIONS, remoteTarget } from '../remote/options.js';
import { readSnapshot } from '../remote/snapshot.js';
import { formatStatus, serviceHealthy, statusJson } from './format.js';

export const STATUS_HELP = `sitrep status: the fleet as a table (nodes, unhealthy services, failing checks, open alerts)

Usage: sitrep status [options]

  --json                 print the snapshot as JSON instead
${REMOTE_HELP}

Exit status: 0 when every node is online, every service healthy and no alert open; 3 otherwise;
1 when the hub
cannot be reached, 2 for usage errors.
`;

export async function statusCommand(argv: string[]): Promise<void> {
  const v = parse('status', argv, { ...REMOTE_OPTIONS, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (v.help) return void process.stdout.write(STATUS_HELP);
  const target = await remoteTarget('status', v);
  const t = createTopics(target.prefix);
  const { client } = await connectRemote(target, 'status');
  try {
    const snap = await readSnapshot(client, t, target.username);
    process.stdout.write(v.json ? `${JSON.stringify(statusJson(snap), null, 2)}\n` : formatStatus(snap, Date.now()));
    const unhealthy = [...snap.nodes.values()].some((n) => n.status?.state !== 'online' || [...n.services.values()].some((s) => !serviceHealthy(s)));
    if (unhealthy || (snap.alerts?.alerts.length ?? 0) > 0) process.exitCode = 3;
  } finally {
    await client.endAsync();
  }
}
