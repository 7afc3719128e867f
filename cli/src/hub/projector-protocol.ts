/**
 * What the hub's main thread and its projector thread say to each other (projector-thread.ts,
 * projector-worker.ts). Messages from the worker are checked before they are acted on.
 */
import type { LogFields } from '@sitrep/schemas';
import type { HubConfig } from '@sitrep/schemas/config';

/** The projector's settings, handed to the worker at start. */
export interface ProjectorThreadData {
  dbPath: string;
  broker: { url: string; prefix: string; username: string; password: string };
  hub: HubConfig;
}

export type LogLevel = 'info' | 'warn' | 'error';

export type FromWorker =
  | { kind: 'log'; path: string[]; level: LogLevel; message: string; fields?: LogFields }
  | { kind: 'ready' }
  /** startProjector or projector.ready failed; the worker ends. */
  | { kind: 'failed'; name: string; message: string };

export type ToWorker = { kind: 'stop' };

const LEVELS: ReadonlySet<string> = new Set(['info', 'warn', 'error']);
const isFieldValue = (v: unknown) => v === null || v === undefined || ['string', 'number', 'boolean'].includes(typeof v);

/** The message as a FromWorker, or why it is not one. */
export function parseFromWorker(m: unknown): { ok: true; value: FromWorker } | { ok: false; reason: string } {
  if (typeof m !== 'object' || m === null) return { ok: false, reason: 'not an object' };
  const o = m as Record<string, unknown>;
  switch (o['kind']) {
    case 'ready':
      return { ok: true, value: { kind: 'ready' } };
    case 'failed':
      if (typeof o['name'] !== 'string' || typeof o['message'] !== 'string') return { ok: false, reason: 'failed without name and message' };
      return { ok: true, value: { kind: 'failed', name: o['name'], message: o['message'] } };
    case 'log': {
      const { path, level, message, fields } = o;
      if (!Array.isArray(path) || !path.every((p) => typeof p === 'string')) return { ok: false, reason: 'log path is not a list of names' };
      if (typeof level !== 'string' || !LEVELS.has(level)) return { ok: false, reason: `log level ${String(level).slice(0, 20)}` };
      if (typeof message !== 'string') return { ok: false, reason: 'log message is not a string' };
      if (fields !== undefined && (typeof fields !== 'object' || fields === null || !Object.values(fields).every(isFieldValue))) {
        return { ok: false, reason: 'log fields are not flat values' };
      }
      return { ok: true, value: { kind: 'log', path: path as string[], level: level as LogLevel, message, ...(fields === undefined ? {} : { fields: fields as LogFields }) } };
    }
    default:
      return { ok: false, reason: `unknown kind ${JSON.stringify(o['kind'])?.slice(0, 40)}` };
  }
}
