/**
 * The agent's local control socket, assembled from its parts: tails of supervised processes from
 * their ring buffers, of units from the journal, follows from the log feed, process states from
 * the supervisor. The agent runs without it when the socket cannot be created (logged once).
 */
import type { Birth, Logger } from '@sitrep/schemas';
import type { Supervisor } from '../supervisor/index.js';
import { agentSocketPath } from './protocol.js';
import type { LogFeed } from './log-feed.js';
import { ControlSocketError, startControlServer, type ControlServer, type TailResult } from './server.js';
import { unitTail } from './unit-tail.js';

export { LogFeed, type FeedLine } from './log-feed.js';
export { askAgent, ControlClientError, type ControlClientErrorCode } from './client.js';
export { agentSocketPath, MAX_TAIL_LINES, type ControlMessage, type ControlRequest } from './protocol.js';
export type { ControlServer } from './server.js';

export interface LocalControlOptions {
  node: string;
  stateDir: string;
  log: Logger;
  feed: LogFeed;
  processes: Pick<Supervisor, 'tail' | 'list' | 'allowedActions'>;
  units: { watched(): Birth['services'] };
}

export async function startLocalControl(o: LocalControlOptions): Promise<ControlServer | null> {
  const { processes, units } = o;
  const tail = async (id: string, n: number): Promise<TailResult> => {
    if (processes.allowedActions(id) !== undefined) return { ok: true, lines: processes.tail(id, n) };
    if (units.watched().some((s) => s.id === id)) {
      const r = await unitTail(id, n);
      return r.ok ? r : { ok: false, code: 'UNAVAILABLE', message: r.message };
    }
    const known = [...processes.list().map((p) => p.service), ...units.watched().map((s) => s.id)];
    const list = known.length === 0 ? 'it watches none' : `known: ${known.slice(0, 20).join(', ')}${known.length > 20 ? ', ...' : ''}`;
    return { ok: false, code: 'UNKNOWN_ID', message: `${id} is neither a supervised process nor a watched unit of this agent (${list})` };
  };
  const path = agentSocketPath(o.stateDir);
  try {
    const server = await startControlServer({
      path,
      log: o.log,
      sources: { tail, feed: o.feed, processes: () => processes.list().map((s) => ({ v: 1, node: o.node, ...s })) },
    });
    o.log.info('local control socket ready', { path });
    return server;
  } catch (err) {
    if (!(err instanceof ControlSocketError)) throw err;
    o.log.warn('no local control socket: `sitrep logs` and `sitrep process list` cannot reach this agent', { reason: err.message });
    return null;
  }
}
