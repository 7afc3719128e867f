/**
 * What every listener applies to a connection before aedes sees it: the connection gate (count and
 * rate) and the packet size guard. Transports only differ in how a socket arrives.
 */
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { Aedes, Client } from 'aedes';
import type { Logger } from '@sitrep/schemas';
import type { ConnectionGate } from '../limits/connections.js';
import { guardPacketSize } from '../limits/packet-size.js';

export interface ConnectionPolicy {
  gate: ConnectionGate;
  maxPacketBytes: number;
  log: Logger;
  /** The username behind a client, once authenticated, for log lines. */
  username(client: Client): string | undefined;
}

/** Hand an admitted connection to aedes, closing it on an oversize packet with a log line. */
export function handOver(aedes: Aedes, conn: Duplex, policy: ConnectionPolicy, transport: string, remote: string | undefined, req?: IncomingMessage): void {
  let client: Client | undefined;
  guardPacketSize(conn, policy.maxPacketBytes, (reason) =>
    policy.log.warn('connection closed', {
      transport,
      remote,
      client: client?.id,
      username: client === undefined ? undefined : policy.username(client),
      reason,
    }),
  );
  client = aedes.handle(conn, req);
}
