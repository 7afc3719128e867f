/**
 * Agent config for scheduled checks, built-in probes and supervised processes (the `checks:`,
 * `probes:` and `processes:` sections; processes may also come from `processes.d/*.yaml`).
 */
import { z } from 'zod';
import { ITEM_ID_PATTERN } from '../ids.js';
import { Duration } from './primitives.js';

const ItemId = z.string().regex(new RegExp(ITEM_ID_PATTERN), `must match ${ITEM_ID_PATTERN}`);
const Argv = z.array(z.string().min(1).max(4096)).min(1).max(256);

/** A schedule as written in a check header or config: `*:0/5`, `hourly`, cron, `90s`, `5m`. */
export const ScheduleText = z.string().min(1).max(200);

export const ProbeSpec = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('http'),
    url: z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL'),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyContains: z.string().max(1024).optional(),
  }),
  z.strictObject({ type: z.literal('tcp'), host: z.string().min(1).max(255), port: z.number().int().min(1).max(65535) }),
  z.strictObject({ type: z.literal('command'), argv: Argv, expectExit: z.number().int().min(0).max(255).default(0) }),
]);
export type ProbeSpec = z.output<typeof ProbeSpec>;

export const ProbeConfig = z.strictObject({
  id: ItemId,
  name: z.string().min(1).max(100).optional(),
  schedule: ScheduleText.default('60s'),
  timeout: Duration.default(10_000),
  probe: ProbeSpec,
  /** Allow operators to run it now (`run` command). */
  actions: z.array(z.literal('run')).default([]),
});
export type ProbeConfig = z.output<typeof ProbeConfig>;

export const ChecksConfig = z
  .strictObject({
    /** Scripts with a metadata header; `sitrep check add` installs them here. */
    dir: z.string().min(1).default('/etc/sitrep/checks.d'),
    /** Timeout for scripts whose header sets none. */
    defaultTimeout: Duration.default(20_000),
    /** Output kept per run; beyond it a truncation marker. */
    maxOutputBytes: z.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
    /** Check ids operators may run now, or true for all. */
    allowRun: z.union([z.boolean(), z.array(ItemId)]).default(false),
  })
  .prefault({});
export type ChecksConfig = z.output<typeof ChecksConfig>;

export const HealthCheck = z.strictObject({
  probe: ProbeSpec,
  interval: Duration.default(10_000),
  timeout: Duration.default(5000),
  /** Consecutive failures before the process counts as unhealthy; one success recovers it. */
  failuresBeforeUnhealthy: z.number().int().min(1).max(100).default(2),
});

export const ProcessConfig = z
  .strictObject({
    id: ItemId,
    /** argv; never run through a shell. */
    command: Argv.optional(),
    /** A shell line, run with /bin/sh -c: only when you explicitly want a shell. */
    shellCommand: z.string().min(1).max(8192).optional(),
    cwd: z.string().min(1).optional(),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string().max(8192)).default({}),
    /** permanent: always restart; transient: restart after a non-zero exit; temporary: never. */
    restart: z.enum(['permanent', 'transient', 'temporary']).default('permanent'),
    stopSignal: z.enum(['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2']).default('SIGTERM'),
    stopGrace: Duration.default(10_000),
    /** Up this long, the restart backoff starts over. */
    stableAfter: Duration.default(60_000),
    /** Give up after this many restarts within `restartWindow`. */
    maxRestarts: z.number().int().min(1).max(1000).default(10),
    restartWindow: Duration.default(300_000),
    health: HealthCheck.optional(),
    expect: z.enum(['running', 'stopped', 'any']).default('running'),
    autostart: z.boolean().default(true),
    actions: z.array(z.enum(['start', 'stop', 'restart', 'kill'])).default([]),
  })
  .refine((p) => (p.command === undefined) !== (p.shellCommand === undefined), {
    message: 'give exactly one of command (argv) or shellCommand',
    path: ['command'],
  });
export type ProcessConfig = z.output<typeof ProcessConfig>;
