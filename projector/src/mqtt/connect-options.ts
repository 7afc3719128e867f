/** What both of the projector's connections (consumer, queries) connect with. */
import type { IClientOptions } from 'mqtt';

export function baseConnectOptions(o: { clientId: string; username: string; password: string }): IClientOptions {
  return {
    // MQTT 3.1.1: what aedes speaks, and every broker sitrep supports.
    protocolVersion: 4,
    clientId: o.clientId,
    username: o.username,
    password: o.password,
    // Jittered, so a hub's restart does not bring every reconnect back in the same instant.
    reconnectPeriod: 1000 + Math.round(Math.random() * 1000),
    connectTimeout: 10_000,
  };
}
