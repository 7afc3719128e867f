/** Broker limits, with the defaults the embedded broker uses when the hub config says nothing. */
export interface BrokerLimits {
  /** Largest MQTT packet a client may send (remaining length, bytes); past it the connection is closed. */
  maxPacketBytes: number;
  /** Open client connections (TCP, TLS and WebSocket together); more are refused. */
  maxConnections: number;
  /** New connections per second across all listeners, with bursts up to `connectionBurst`. */
  connectionsPerSecond: number;
  connectionBurst: number;
  /** Commands (`nodes/{node}/cmd`) one identity may publish per second, bursts up to `commandBurst` (the projector is exempt). */
  commandsPerSecond: number;
  commandBurst: number;
}

export const DEFAULT_LIMITS: BrokerLimits = {
  // Above the projector's own payload limit, so oversize events still reach it and become dead letters.
  maxPacketBytes: 1024 * 1024,
  maxConnections: 10_000,
  // A whole fleet reconnecting after a hub restart: agents retry with jitter, so refusals only delay them.
  connectionsPerSecond: 200,
  connectionBurst: 1000,
  commandsPerSecond: 10,
  commandBurst: 50,
};

export function resolveLimits(given: Partial<BrokerLimits> | undefined): BrokerLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const [k, v] of Object.entries(given ?? {}) as [keyof BrokerLimits, number | undefined][]) {
    if (v !== undefined) limits[k] = v;
  }
  return limits;
}
