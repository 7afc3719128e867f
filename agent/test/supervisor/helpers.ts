/**
 * Test harness for the supervisor with real child processes: records every callback on one
 * timeline and lets a test wait (bounded) for a condition on it, re-checked on every record.
 * Every supervisor, server and temporary directory made here is torn down by `teardown()`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '@sitrep/schemas';
import { ProcessConfig } from '@sitrep/schemas/config';
import type { ProcessTransition, SupervisorEvent } from '../../src/supervisor/events.js';
import type { LogLine, ProcessServiceState } from '../../src/supervisor/snapshot.js';
import { createSupervisor, type Supervisor, type SupervisorOptions } from '../../src/supervisor/supervisor.js';

export const NODE = process.execPath;

export type Entry =
  | { kind: 'state'; at: number; state: ProcessServiceState }
  | { kind: 'transition'; at: number; t: ProcessTransition }
  | { kind: 'event'; at: number; e: SupervisorEvent; extra: unknown }
  | { kind: 'log'; at: number; id: string; lines: LogLine[] }
  | { kind: 'removed'; at: number; id: string };

const cleanups: Array<() => Promise<void> | void> = [];

export async function teardown(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export function tmpDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sitrep-supervisor-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A CommonJS script in a fresh temporary directory; returns its path. */
export function script(source: string): string {
  const file = join(tmpDir(), 'script.cjs');
  writeFileSync(file, source);
  return file;
}

export interface Harness {
  sup: Supervisor;
  timeline: Entry[];
  transitions(id?: string): ProcessTransition[];
  events(type?: SupervisorEvent['type']): SupervisorEvent[];
  lines(id: string): string[];
  /** Resolves with the first truthy value of `probe`, checked now and after every record. */
  until<T>(probe: () => T | undefined | false, what: string, timeoutMs?: number): Promise<T>;
  log: ReturnType<typeof memoryLogger>;
}

export function harness(
  processes: Array<{ [key: string]: unknown }>,
  extra: Partial<SupervisorOptions> & { eventExtra?: () => unknown } = {},
): Harness {
  const timeline: Entry[] = [];
  const wakers = new Set<() => void>();
  const push = (r: Entry) => {
    timeline.push(r);
    for (const w of [...wakers]) w();
  };
  const log = memoryLogger('supervisor');
  const { eventExtra, ...options } = extra;
  const sup = createSupervisor({
    processes: processes.map((p) => ProcessConfig.parse(p)),
    log,
    onState: (state) => push({ kind: 'state', at: Date.now(), state }),
    onTransition: (t) => push({ kind: 'transition', at: Date.now(), t }),
    onEvent: (e) => push({ kind: 'event', at: Date.now(), e, extra: eventExtra?.() }),
    onLog: (id, lines) => push({ kind: 'log', at: Date.now(), id, lines }),
    onRemoved: (id) => push({ kind: 'removed', at: Date.now(), id }),
    logFlushMs: 50,
    ...options,
  });
  cleanups.push(() => sup.stop());
  return {
    sup,
    timeline,
    log,
    transitions: (id) => timeline.flatMap((r) => (r.kind === 'transition' && (id === undefined || r.t.id === id) ? [r.t] : [])),
    events: (type) => timeline.flatMap((r) => (r.kind === 'event' && (type === undefined || r.e.type === type) ? [r.e] : [])),
    lines: (id) => timeline.flatMap((r) => (r.kind === 'log' && r.id === id ? r.lines.map((l) => l.text) : [])),
    until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 8000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = () => {
          const v = probe();
          if (v === undefined || v === false) return;
          clearTimeout(timer);
          wakers.delete(check);
          resolve(v);
        };
        const timer = setTimeout(() => {
          wakers.delete(check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        wakers.add(check);
        check();
      });
    },
  };
}

/** Wait for a condition that no callback announces (a process dying outside the group leader), bounded. */
export async function poll(probe: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** An HTTP server on 127.0.0.1, port 0, answering `status` (switchable), recording what it served. */
export async function flipServer(): Promise<{ url: string; served: number[]; set(status: number): void }> {
  let status = 200;
  const served: number[] = [];
  const server: Server = createServer((_req, res) => {
    served.push(status);
    res.writeHead(status).end(status === 200 ? 'ok' : 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/health`, served, set: (s) => (status = s) };
}
