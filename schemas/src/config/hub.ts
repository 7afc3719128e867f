/**
 * The hub's own config (`hub.yaml` in the data directory, optional): alert thresholds, expected
 * state overrides for the fleet, and notification channels.
 */
import { z } from 'zod';
import { NODE_ID_PATTERN } from '../ids.js';
import { Duration } from './primitives.js';
import { NotifyConfig } from './notify.js';
import { HubBrokerConfig } from './broker.js';

/** A threshold: a duration, or 0 for "at once". */
const Threshold = z.union([z.literal(0), Duration]);

export const HubConfig = z.strictObject({
  alerts: z
    .strictObject({
      /** How long a service expected running may be down before an alert opens. */
      serviceDownAfter: Threshold.default(300_000),
      /** Per service (`nginx.service`) or per node and service (`web-1/nginx.service`). */
      services: z.record(z.string().min(1).max(320), Threshold).default({}),
      nodeLostAfter: Threshold.default(0),
      /** Missed metrics intervals before an online node that went silent counts as stale. */
      staleIntervals: z.number().int().min(2).max(100).default(3),
      /** Open alerts for WARNING check results too (FAILURE and ERROR always do). */
      checkWarning: z.boolean().default(false),
    })
    .prefault({}),
  /** Expected state overrides: what the hub expects, whatever the agent's config says. */
  expect: z
    .array(
      z.strictObject({
        node: z.string().regex(new RegExp(NODE_ID_PATTERN)).optional(),
        service: z.string().min(1).max(255),
        expect: z.enum(['running', 'stopped', 'any']),
      }),
    )
    .default([]),
  notifications: NotifyConfig.prefault({}),
  /** The embedded broker: TLS and limits. */
  broker: HubBrokerConfig.prefault({}),
});
export type HubConfig = z.output<typeof HubConfig>;
