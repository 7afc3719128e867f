/**
 * The metadata header of a check script:
 *
 *     #!/bin/sh
 *     # name: Backups
 *     # description: last night's backup exists and is fresh
 *     # version: 1.0.0
 *     # schedule: *:0/5
 *     # timeout: 30s
 *
 * The header is the leading block of comment lines (`#`, or `//` for node and similar scripts)
 * and blank lines, after an optional `#!` line; the first other line ends it, so comments further
 * down are never read. In it, `key: value` lines are fields; keys are case-insensitive.
 * - `name` (at most 100 characters) and `schedule` (see schedule.ts) are required;
 * - `description` (at most 1024), `version` (at most 64) and `timeout` (seconds or a duration such
 *   as 30s, 2m; at most 24h; default the agent's `checks.defaultTimeout`) are optional;
 * - a field given twice, or empty, is refused;
 * - other keys (author, license, `vim:` modelines, notes) are free text and ignored, EXCEPT keys
 *   one or two letters away from a field (`shedule`, `timout`), refused so that a typo never
 *   silently drops a field.
 * The id is the file name without its extension (`backups.sh` -> `backups`) and must follow the
 * item id rule. Every refusal is a CheckMetadataError with the 1-based line and the reason.
 */
import { open } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { idProblem } from '@sitrep/schemas';
import { Duration } from '@sitrep/schemas/config';
import { CheckError, CheckMetadataError, ScheduleError, systemReason } from './errors.js';
import { parseSchedule, type Schedule } from './schedule.js';

export interface CheckDefinition {
  /** From the file name; follows the item id rule. */
  id: string;
  name: string;
  description?: string;
  version?: string;
  schedule: Schedule;
  /** Absent when the header sets none: the scheduler's default applies. */
  timeoutMs?: number;
  /** The script, as given. */
  path: string;
}

const FIELDS = ['name', 'description', 'version', 'schedule', 'timeout'] as const;
type Field = (typeof FIELDS)[number];
const MAX_LENGTH: Record<Exclude<Field, 'schedule' | 'timeout'>, number> = { name: 100, description: 1024, version: 64 };
const MAX_TIMEOUT_MS = 24 * 3_600_000;
/** Enough for any header; a bigger script is read only this far. */
export const HEADER_READ_BYTES = 64 * 1024;

const COMMENT_RE = /^\s*(?:#|\/\/)(.*)$/;
// `(?!\/\/)`: a URL such as `# https://wiki/backups` is text, not an `https` field.
const FIELD_RE = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*:(?!\/\/)\s*(.*?)\s*$/;

/** `backups.sh` -> `backups`; `disk.usage.py` -> `disk.usage`; `check` -> `check`. */
export function checkIdFromFile(file: string): string {
  const name = basename(file);
  const ext = extname(name);
  return ext === '' ? name : name.slice(0, -ext.length);
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(up + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** The field a misspelt key was probably meant to be (`shedule` -> schedule), or null. */
function misspeltField(key: string): Field | null {
  for (const f of FIELDS) {
    // Short keys get one letter of slack only, so `note` is not taken for `name`.
    if (distance(key, f) <= (f.length <= 4 ? 1 : 2)) return f;
  }
  return null;
}

interface Header {
  fields: Map<Field, { value: string; line: number }>;
  /** The first line after the header (1-based), where a missing field is reported. */
  endLine: number;
}

function readHeader(text: string, file: string): Header {
  const lines = text.replace(/^\uFEFF/, '').split('\n');
  const fields: Header['fields'] = new Map();
  let i = lines[0]?.startsWith('#!') ? 1 : 0;
  for (; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const comment = COMMENT_RE.exec(line);
    if (comment === null) break;
    const m = FIELD_RE.exec(comment[1]!);
    if (m === null) continue;
    const lineNo = i + 1;
    const key = m[1]!.toLowerCase();
    const field = FIELDS.find((f) => f === key);
    if (field === undefined) {
      const meant = misspeltField(key);
      if (meant !== null) throw new CheckMetadataError(file, lineNo, `unknown header key "${m[1]}" (did you mean "${meant}"?)`);
      continue;
    }
    const first = fields.get(field);
    if (first !== undefined) throw new CheckMetadataError(file, lineNo, `${field} is given twice (first on line ${first.line})`);
    fields.set(field, { value: m[2]!, line: lineNo });
  }
  return { fields, endLine: Math.min(i + 1, lines.length) };
}

/** Parses the header of a script whose text is `text` and whose path is `path`; throws CheckMetadataError. */
export function parseCheckMetadata(text: string, path: string): CheckDefinition {
  const file = basename(path);
  const id = checkIdFromFile(path);
  const idIssue = idProblem('check', id);
  if (idIssue !== null) throw new CheckMetadataError(file, 0, `the file name gives the check id "${id}", which ${idIssue}`);

  const { fields, endLine } = readHeader(text, file);
  const required = (f: 'name' | 'schedule') => {
    const entry = fields.get(f);
    if (entry === undefined) throw new CheckMetadataError(file, endLine, `the header has no "# ${f}:" line (it must come before the first line of code)`);
    return entry;
  };
  for (const [field, { value, line }] of fields) {
    if (value === '') throw new CheckMetadataError(file, line, `${field} is empty`);
    const max = MAX_LENGTH[field as keyof typeof MAX_LENGTH];
    if (max !== undefined && value.length > max) {
      throw new CheckMetadataError(file, line, `${field} is longer than ${max} characters (${value.length})`);
    }
  }
  const name = required('name');
  const scheduleEntry = required('schedule');
  let schedule: Schedule;
  try {
    schedule = parseSchedule(scheduleEntry.value);
  } catch (err) {
    if (err instanceof ScheduleError) throw new CheckMetadataError(file, scheduleEntry.line, err.message, { cause: err });
    throw err;
  }
  const def: CheckDefinition = { id, name: name.value, schedule, path };
  const description = fields.get('description');
  if (description !== undefined) def.description = description.value;
  const version = fields.get('version');
  if (version !== undefined) def.version = version.value;
  const timeout = fields.get('timeout');
  if (timeout !== undefined) def.timeoutMs = parseTimeout(timeout.value, file, timeout.line);
  return def;
}

function parseTimeout(value: string, file: string, line: number): number {
  const parsed = Duration.safeParse(value.toLowerCase());
  if (!parsed.success) {
    throw new CheckMetadataError(file, line, `timeout "${value}" is not valid: ${parsed.error.issues[0]?.message ?? 'not a duration'}`);
  }
  if (parsed.data > MAX_TIMEOUT_MS) throw new CheckMetadataError(file, line, `timeout "${value}" is longer than 24h`);
  return parsed.data;
}

/** Reads the first HEADER_READ_BYTES of `path` and parses its header; throws CheckError. */
export async function readCheckMetadata(path: string): Promise<CheckDefinition> {
  let text: string;
  try {
    const handle = await open(path, 'r');
    try {
      const buf = Buffer.alloc(HEADER_READ_BYTES);
      const { bytesRead } = await handle.read(buf, 0, HEADER_READ_BYTES, 0);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    throw new CheckError('CHECK_UNREADABLE', `cannot read ${path}: ${systemReason(err)}`, { cause: err });
  }
  return parseCheckMetadata(text, path);
}
