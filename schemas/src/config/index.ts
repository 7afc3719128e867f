/**
 * Config file schemas (zod). Kept behind `@sitrep/schemas/config` so the ui bundle never pulls zod.
 * Objects are strict: an unknown key is a typo until proven otherwise, and is rejected with its path.
 */
import { z } from 'zod';
import { Duration, TopicPrefix } from './primitives.js';
import { ChecksConfig, ProbeConfig, ProcessConfig } from './agent-work.js';

export { Duration, TopicPrefix };
import { DEFAULT_PREFIX } from '../topics.js';
import { DEFAULT_HA_PREFIX } from '../homeassistant.js';
import { isValidId, NODE_ID_PATTERN } from '../ids.js';

export const BrokerUrl = z
  .string()
  .refine((u) => /^(mqtts?|wss?|tcp|ssl):\/\/[^\s]+$/.test(u), {
    message: 'must be a URL such as mqtt://hub.example:1883 or wss://hub.example/mqtt',
  });

export const BrokerConnection = z.strictObject({
  url: BrokerUrl,
  username: z.string().min(1).max(128),
  password: z.string().min(1).max(1024).optional(),
  passwordFile: z.string().min(1).optional(),
  prefix: TopicPrefix.default(DEFAULT_PREFIX),
});

export const UnitName = z
  .string()
  .refine((u) => isValidId('service', u) && /\.(service|socket|timer|mount|path|target|scope|slice|swap|automount|device)$/.test(u), {
    message: 'must be a systemd unit name with its type suffix, e.g. nginx.service',
  });

export const UnitAction = z.enum(['start', 'stop', 'restart']);

export const WatchedUnit = z.strictObject({
  unit: UnitName,
  expect: z.enum(['running', 'stopped', 'any']).default('running'),
  actions: z.array(UnitAction).default([]),
});
export type WatchedUnit = z.output<typeof WatchedUnit>;

const UnitGlob = z.string().min(1).max(255).regex(/^[A-Za-z0-9:_.\\@*?\[\]-]+$/, 'a unit name or glob, e.g. docker-*.service');

export const AgentConfig = z
  .strictObject({
    node: z.string().regex(new RegExp(NODE_ID_PATTERN), `must match ${NODE_ID_PATTERN}`).optional(),
    broker: BrokerConnection,
    interval: Duration.default(10_000),
    stateDir: z.string().min(1).default('/var/lib/sitrep-agent'),
    /** systemd units to watch, each with its expected state and the actions allowed on it. */
    services: z.array(WatchedUnit).default([]),
    /** Units watched without being listed (expect: any, no actions). */
    discover: z
      .strictObject({
        failed: z.boolean().default(false),
        match: z.array(UnitGlob).default([]),
        every: Duration.default(60_000),
      })
      .prefault({}),
    systemd: z
      .strictObject({
        /** Watch units through D-Bus signals; false polls `systemctl show` instead. */
        useDbus: z.boolean().default(true),
        /** Fallback poll interval when the D-Bus system bus is unavailable. */
        pollInterval: Duration.default(5000),
        /** Journal lines kept per unit as evidence of a transition. */
        evidenceLines: z.number().int().min(0).max(200).default(20),
      })
      .prefault({}),
    journal: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** Per unit; lines past the limit are counted and summarised, not forwarded. */
        maxLinesPerSecond: z.number().int().min(1).max(10_000).default(50),
      })
      .prefault({}),
    updates: z
      .strictObject({
        enabled: z.boolean().default(true),
        every: Duration.default(3_600_000),
        timeout: Duration.default(300_000),
      })
      .prefault({}),
    checks: ChecksConfig,
    probes: z.array(ProbeConfig).default([]),
    processes: z.array(ProcessConfig).default([]),
    /** Directory of extra process definitions (`*.yaml`, one process each). */
    processesDir: z.string().min(1).optional(),
    /** Home Assistant MQTT device discovery (off by default); see docs/homeassistant.md. */
    homeassistant: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Home Assistant's discovery prefix (its MQTT integration setting). */
        prefix: TopicPrefix.default(DEFAULT_HA_PREFIX),
      })
      .prefault({}),
    spool: z
      .strictObject({
        /** Events kept on disk for delivery and replay; past it the oldest go, with an EventsDropped event. */
        maxEvents: z.number().int().min(100).max(1_000_000).default(10_000),
      })
      .prefault({}),
  })
  .refine((c) => new Set(c.services.map((s) => s.unit)).size === c.services.length, {
    message: 'a unit is listed twice',
    path: ['services'],
  })
  .refine((c) => new Set([...c.probes.map((p) => p.id)]).size === c.probes.length, { message: 'a probe id is used twice', path: ['probes'] })
  .refine((c) => new Set(c.processes.map((p) => p.id)).size === c.processes.length, { message: 'a process id is used twice', path: ['processes'] })
  .refine((c) => c.broker.password !== undefined || c.broker.passwordFile !== undefined, {
    message: 'set broker.password or broker.passwordFile',
    path: ['broker', 'password'],
  });
export type AgentConfigInput = z.input<typeof AgentConfig>;
export type AgentConfig = z.output<typeof AgentConfig>;

export const ROLES = ['agent', 'viewer', 'operator', 'service', 'integration'] as const;
export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

export const Identity = z
  .strictObject({
    username: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/, 'letters, digits, _ . @ - (max 128)'),
    role: Role,
    node: z.string().regex(new RegExp(NODE_ID_PATTERN)).optional(),
    hash: z.string().startsWith('scrypt$'),
    createdAt: z.string(),
    /** An integration (Home Assistant, scripts) that may also publish commands; read-only without it. */
    commands: z.literal(true).optional(),
  })
  .refine((i) => (i.role === 'agent') === (i.node !== undefined), {
    message: 'an agent identity is bound to exactly one node; other roles have none',
    path: ['node'],
  })
  .refine((i) => i.commands === undefined || i.role === 'integration', {
    message: 'only an integration identity takes commands: true (operators always may)',
    path: ['commands'],
  });
export type Identity = z.infer<typeof Identity>;

export const IdentitiesFile = z.strictObject({
  version: z.literal(1),
  identities: z.array(Identity),
});
export type IdentitiesFile = z.infer<typeof IdentitiesFile>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly source: string,
    readonly issues: readonly string[],
  ) {
    super(`${source} is invalid:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** `broker.url: must be a URL ...` lines, one per problem. */
export function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.');
    return `${path}: ${issue.message}`;
  });
}

/** Validate `raw` against `schema`, throwing a ConfigError that names `source` and every bad field. */
export function parseConfig<S extends z.ZodType>(schema: S, raw: unknown, source: string): z.output<S> {
  const result = schema.safeParse(raw);
  if (!result.success) throw new ConfigError(source, formatIssues(result.error));
  return result.data;
}

export { z };

export * from './notify.js';
export * from './hub.js';
export * from './broker.js';
export * from './agent-work.js';
