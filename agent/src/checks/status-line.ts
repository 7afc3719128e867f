/**
 * Status lines: how a check script reports its outcome on stdout, one line
 *
 *     TIMESTAMP, STATUS, message
 *
 * - STATUS is OK, UPDATE, WARNING, FAILURE or ERROR, in any letter case (`ok` is read as OK);
 * - the message is everything after the second comma, commas included, trimmed; it may be empty;
 * - TIMESTAMP must look like a time so that ordinary output ("disk, warning, 80%") is never taken
 *   for a status: ISO 8601 (`2024-05-01T03:00:00Z`, `2024-05-01 03:00:00+02:00`), epoch seconds or
 *   milliseconds, RFC 2822 (`Wed, 01 May 2024 03:00:00 +0000`, commas and all) or date(1) output.
 *   It is parsed when the form is known and reported as `timestamp`, else null; it is never used
 *   as the result's time (a script's clock is not the agent's);
 * - the LAST status line wins, wherever it is in the output (also past the kept-output limit);
 * - without a status line, exit code 0 means OK and anything else FAILURE.
 */
import { StringDecoder } from 'node:string_decoder';
import type { CheckResult } from '@sitrep/schemas';

export type CheckStatus = CheckResult['status'];

export interface StatusLine {
  status: CheckStatus;
  message: string;
  /** ms since the epoch, or null when the timestamp's form is not one we parse. */
  timestamp: number | null;
}

/** The contract's message limit. */
export const MAX_MESSAGE_LENGTH = 4096;
/** Longer lines are cut here while scanning; a status line is never this long. */
const MAX_LINE = 8192;

// Lazy timestamp: it ends at the first comma followed by a status word, so RFC 2822 dates keep their comma.
const LINE_RE = /^\s*(.+?)\s*,\s*(ok|update|warning|failure|error)\s*(?:,(.*))?$/i;
const ISO_RE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const EPOCH_S_RE = /^\d{9,10}(?:\.\d+)?$/;
const EPOCH_MS_RE = /^\d{12,13}$/;
const TIME_OF_DAY_RE = /\b\d{1,2}:\d{2}\b/;
const DATE_RE = /\b\d{4}[-/]\d{1,2}[-/]\d{1,2}\b|\b\d{1,2}[-/ ]\w{3,9}[-/ ]\d{4}\b/;

function parseIso(m: RegExpExecArray): number {
  const [, date, time, zone] = m;
  let iso = date!;
  if (time !== undefined) iso += `T${time.replace(',', '.')}`;
  if (zone !== undefined) iso += /^[+-]\d{2}$/.test(zone) ? `${zone}:00` : zone.replace(/^([+-]\d{2})(\d{2})$/, '$1:$2').toUpperCase();
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : Number.NaN;
}

/**
 * The time a status line's first field stands for: a number (ms), null when it looks like a time
 * but the form is unknown, or undefined when it does not look like a time at all.
 */
export function parseTimestamp(text: string): number | null | undefined {
  const t = text.trim();
  if (EPOCH_S_RE.test(t)) return Math.round(Number(t) * 1000);
  if (EPOCH_MS_RE.test(t)) return Number(t);
  const iso = ISO_RE.exec(t);
  if (iso !== null) {
    const ms = parseIso(iso);
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (!TIME_OF_DAY_RE.test(t) && !DATE_RE.test(t)) return undefined;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms : null;
}

/** The status line `line` holds, or null when it is not one. */
export function parseStatusLine(line: string): StatusLine | null {
  const m = LINE_RE.exec(line.replace(/\r$/, ''));
  if (m === null) return null;
  const timestamp = parseTimestamp(m[1]!);
  if (timestamp === undefined) return null;
  return {
    status: m[2]!.toUpperCase() as CheckStatus,
    message: (m[3] ?? '').trim().slice(0, MAX_MESSAGE_LENGTH),
    timestamp,
  };
}

/** Feeds output chunks, remembers the last status line; for streams of any size. */
export class StatusLineScanner {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private lastLine: StatusLine | null = null;

  push(chunk: Buffer | string): void {
    const text = this.partial + (typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
    const lines = text.split('\n');
    this.partial = lines.pop()!.slice(0, MAX_LINE);
    for (const line of lines) this.take(line.slice(0, MAX_LINE));
  }

  /** The output ended: a last line without a newline counts too. */
  end(): void {
    this.take(this.partial + this.decoder.end());
    this.partial = '';
  }

  get last(): StatusLine | null {
    return this.lastLine;
  }

  private take(line: string): void {
    const parsed = parseStatusLine(line);
    if (parsed !== null) this.lastLine = parsed;
  }
}

/** The last status line in a complete output, or null. */
export function lastStatusLine(output: string): StatusLine | null {
  const scanner = new StatusLineScanner();
  scanner.push(output);
  scanner.end();
  return scanner.last;
}

/** The last non-empty line of `text`, trimmed and cut to `max` characters, or null. */
export function lastNonEmptyLine(text: string, max = 300): string | null {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line !== '') return line.slice(0, max);
  }
  return null;
}

/**
 * The outcome of a script that exited with `exitCode`: its last status line if it printed one,
 * otherwise OK for exit 0 and FAILURE for anything else, with the last output line as message.
 */
export function decideStatus(
  statusLine: StatusLine | null,
  exitCode: number,
  output: string,
): { status: CheckStatus; message: string } {
  if (statusLine !== null) {
    return { status: statusLine.status, message: statusLine.message === '' ? `${statusLine.status} (exit code ${exitCode})` : statusLine.message };
  }
  const last = lastNonEmptyLine(output);
  if (exitCode === 0) return { status: 'OK', message: last ?? 'exit code 0' };
  return { status: 'FAILURE', message: last === null ? `exit code ${exitCode}` : `exit code ${exitCode}: ${last}` };
}
