/** The embedded broker's section of the hub config (`broker:` in hub.yaml): TLS and limits. */
import { z } from 'zod';

const Port = z.number().int().min(0).max(65535);

/** Every limit is optional: the broker has defaults (see broker/src/limits/config.ts). */
export const BrokerLimitsConfig = z.strictObject({
  maxPacketBytes: z.number().int().min(1024).max(256 * 1024 * 1024).optional(),
  maxConnections: z.number().int().min(1).max(1_000_000).optional(),
  connectionsPerSecond: z.number().positive().max(1_000_000).optional(),
  connectionBurst: z.number().int().min(1).max(1_000_000).optional(),
  commandsPerSecond: z.number().positive().max(100_000).optional(),
  commandBurst: z.number().int().min(1).max(1_000_000).optional(),
});

export const HubBrokerConfig = z.strictObject({
  /** PEM files (paths relative to the config file): MQTT over TLS on `port`, HTTPS and WSS on the HTTP port. */
  tls: z
    .strictObject({
      cert: z.string().min(1),
      key: z.string().min(1),
      port: Port.default(8883),
    })
    .optional(),
  /** Plain MQTT and HTTP on a non-loopback address: only on a trusted network or behind a TLS proxy. */
  allowPlain: z.boolean().default(false),
  limits: BrokerLimitsConfig.prefault({}),
});
export type HubBrokerConfig = z.output<typeof HubBrokerConfig>;
