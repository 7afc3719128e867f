import { createServer, type Socket } from 'node:net';
import type { Aedes } from 'aedes';
import { closeServer, listen, type Listening } from './http.js';

export async function startTcpTransport(broker: Aedes, host: string, port: number): Promise<Listening> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  const bound = await listen(server, host, port);
  return { port: bound, close: () => closeServer(server, sockets) };
}
