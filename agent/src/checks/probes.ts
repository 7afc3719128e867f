/**
 * Built-in probes, configured under `probes:` (ProbeSpec in schemas/config/agent-work.ts):
 * - http: GET the URL (redirects followed), OK when the final status is `expectStatus` and, if
 *   given, the body contains `bodyContains` (read up to 1 MiB); latency to the response headers;
 * - tcp: OK when a connection to host:port opens;
 * - command: run argv (no shell), OK when it exits with `expectExit`.
 *
 * The service being down (refused, unreachable, no answer in time, wrong status) is a FAILURE:
 * that is what the probe measures. ERROR is kept for a probe that could not do its job (a command
 * that cannot be started or ran out of time, the agent stopping).
 */
import { connect } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Logger } from '@sitrep/schemas';
import type { ProbeSpec } from '@sitrep/schemas/config';
import { lastNonEmptyLine, type CheckStatus } from './status-line.js';
import { runProcess } from './run-process.js';
import { checkEnv, formatSeconds } from './check-env.js';

export interface ProbeOutcome {
  status: CheckStatus;
  message: string;
  exitCode?: number | null;
  output?: string;
}

export interface ProbeOptions {
  /** The check id, passed to commands as SITREP_CHECK_ID. */
  id: string;
  timeoutMs: number;
  maxOutputBytes: number;
  signal?: AbortSignal;
  killGraceMs?: number;
  /** For command probes: trouble killing, processes left behind. */
  log?: Logger;
}

/** How much of a body is searched for `bodyContains`. */
export const MAX_BODY_BYTES = 1024 * 1024;
const STOPPED: ProbeOutcome = { status: 'ERROR', message: 'stopped before it finished' };

const since = (start: number) => Math.round(performance.now() - start);

/** The system error code under a fetch failure (`TypeError: fetch failed` with `cause.code`). */
function fetchReason(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return err instanceof Error ? err.message : String(err);
}

/** Reads the body until `needle` shows up or MAX_BODY_BYTES; returns whether it did and the text read. */
async function bodyContains(body: ReadableStream<Uint8Array> | null, needle: string): Promise<{ found: boolean; text: string }> {
  if (body === null) return { found: needle === '', text: '' };
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for await (const chunk of body) {
    bytes += chunk.length;
    text += decoder.decode(chunk, { stream: true });
    // Leaving the loop early cancels the stream (the async iterator's return()).
    if (text.includes(needle)) return { found: true, text };
    if (bytes >= MAX_BODY_BYTES) break;
  }
  return { found: text.includes(needle), text };
}

export async function probeHttp(spec: Extract<ProbeSpec, { type: 'http' }>, opts: ProbeOptions): Promise<ProbeOutcome> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal === undefined ? timeout : AbortSignal.any([timeout, opts.signal]);
  const start = performance.now();
  try {
    const res = await fetch(spec.url, { signal, redirect: 'follow', headers: { 'user-agent': 'sitrep-agent' } });
    const ms = since(start);
    if (res.status !== spec.expectStatus) {
      await res.body?.cancel();
      return { status: 'FAILURE', message: `HTTP ${res.status}, expected ${spec.expectStatus} (${ms} ms)` };
    }
    if (spec.bodyContains === undefined) {
      await res.body?.cancel();
      return { status: 'OK', message: `HTTP ${res.status} in ${ms} ms` };
    }
    const { found, text } = await bodyContains(res.body, spec.bodyContains);
    if (found) return { status: 'OK', message: `HTTP ${res.status} in ${ms} ms, body contains ${JSON.stringify(spec.bodyContains)}` };
    return {
      status: 'FAILURE',
      message: `HTTP ${res.status} in ${ms} ms, but the body does not contain ${JSON.stringify(spec.bodyContains)}`,
      output: text.slice(0, Math.min(opts.maxOutputBytes, 4096)),
    };
  } catch (err) {
    if (opts.signal?.aborted) return STOPPED;
    if (timeout.aborted) return { status: 'FAILURE', message: `no response from ${spec.url} within ${formatSeconds(opts.timeoutMs)}` };
    return { status: 'FAILURE', message: `${spec.url}: ${fetchReason(err)} after ${since(start)} ms` };
  }
}

export function probeTcp(spec: Extract<ProbeSpec, { type: 'tcp' }>, opts: ProbeOptions): Promise<ProbeOutcome> {
  const where = `${spec.host}:${spec.port}`;
  const start = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: spec.host, port: spec.port });
    const done = (outcome: ProbeOutcome) => {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(outcome);
    };
    const onAbort = () => done(STOPPED);
    const timer = setTimeout(
      () => done({ status: 'FAILURE', message: `no answer from ${where} within ${formatSeconds(opts.timeoutMs)}` }),
      opts.timeoutMs,
    );
    socket.once('connect', () => done({ status: 'OK', message: `${where} open (connected in ${since(start)} ms)` }));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done({ status: 'FAILURE', message: `${where} not open: ${err.code ?? err.message} after ${since(start)} ms` }),
    );
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function probeCommand(spec: Extract<ProbeSpec, { type: 'command' }>, opts: ProbeOptions): Promise<ProbeOutcome> {
  const run = await runProcess(spec.argv, {
    timeoutMs: opts.timeoutMs,
    maxOutputBytes: opts.maxOutputBytes,
    env: checkEnv(opts.id),
    cwd: '/',
    ...(opts.signal === undefined ? {} : { signal: opts.signal }),
    ...(opts.killGraceMs === undefined ? {} : { killGraceMs: opts.killGraceMs }),
  });
  if (run.killedLeftovers) opts.log?.info('probe command exited leaving processes behind; killed them', { check: opts.id });
  for (const problem of run.problems) opts.log?.warn('trouble ending a probe command', { check: opts.id, problem });
  const base = { exitCode: run.exitCode, output: run.output };
  switch (run.end) {
    case 'spawn-failed':
      return { status: 'ERROR', message: `cannot run ${spec.argv[0]}: ${run.spawnError?.code ?? run.spawnError?.message}`, exitCode: null };
    case 'timed-out':
      return { ...base, status: 'ERROR', message: `timed out after ${formatSeconds(opts.timeoutMs)}` };
    case 'aborted':
      return { ...base, ...STOPPED };
    case 'signalled':
      return { ...base, status: 'ERROR', message: `killed by ${run.signal}` };
    case 'exited': {
      const last = lastNonEmptyLine(run.output);
      if (run.exitCode === spec.expectExit) return { ...base, status: 'OK', message: `exit code ${run.exitCode}${last === null ? '' : `: ${last}`}` };
      return { ...base, status: 'FAILURE', message: `exit code ${run.exitCode}, expected ${spec.expectExit}${last === null ? '' : `: ${last}`}` };
    }
  }
}

export function runProbeSpec(spec: ProbeSpec, opts: ProbeOptions): Promise<ProbeOutcome> {
  switch (spec.type) {
    case 'http':
      return probeHttp(spec, opts);
    case 'tcp':
      return probeTcp(spec, opts);
    case 'command':
      return probeCommand(spec, opts);
  }
}
