/**
 * Process definitions as files: a directory of `*.yaml` (processes.d), one process per file,
 * validated with the config schema's `ProcessConfig`. A bad file is reported with its path and
 * the field paths at fault and skipped; the others still load.
 *
 * Definitions created at run time are written back with `saveDefinition` so that reading the file
 * gives the same definition again: durations go out as `10s`/`5m`/`250ms` (a bare number would
 * read back as seconds), fields equal to the schema default are left out, and the text is read
 * back before it replaces the file.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml, stringify as stringifyYaml, YAMLParseError } from 'yaml';
import { formatIssues, HealthCheck, ProcessConfig } from '@sitrep/schemas/config';
import { SupervisorError } from './errors.js';

export interface DefinitionProblem {
  file: string;
  /** `field.path: reason`, one per problem. */
  issues: string[];
}

export interface LoadedDefinitions {
  definitions: ProcessConfig[];
  /** The file each definition came from, by id. */
  files: Record<string, string>;
  problems: DefinitionProblem[];
}

export type ParsedDefinition = { ok: true; definition: ProcessConfig } | { ok: false; issues: string[] };

const HEADER = '# sitrep supervised process (one per file). Written by the agent; edit freely, it is read back on start.\n';
const DURATION_UNITS: ReadonlyArray<readonly [string, number]> = [['h', 3_600_000], ['m', 60_000], ['s', 1000]];
const DURATION_KEYS = new Set(['stopGrace', 'stableAfter', 'restartWindow']);
const DEFAULTED_KEYS = new Set(['env', 'restart', 'stopSignal', 'stopGrace', 'stableAfter', 'maxRestarts', 'restartWindow', 'expect', 'autostart', 'actions']);
const DEFAULTS: Record<string, unknown> = ProcessConfig.parse({ id: 'x', command: ['x'] });
const HEALTH_DEFAULTS: Record<string, unknown> = HealthCheck.parse({ probe: { type: 'tcp', host: 'x', port: 1 } });

/** Milliseconds as the shortest duration text that reads back exactly: 90000 -> "90s", 300000 -> "5m". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of DURATION_UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** Parse the text of one definition file. */
export function parseDefinition(text: string): ParsedDefinition {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? `line ${err.linePos[0].line}: ` : '';
    return { ok: false, issues: [`${where}not valid YAML: ${(err as Error).message.split('\n')[0]}`] };
  }
  if (raw === null || raw === undefined) return { ok: false, issues: ['(root): the file is empty'] };
  const result = ProcessConfig.safeParse(raw);
  return result.success ? { ok: true, definition: result.data } : { ok: false, issues: formatIssues(result.error) };
}

/** Every `*.yaml` in `dir` (hidden files skipped), in name order; a missing directory is a problem, not an error. */
export function loadDefinitions(dir: string): LoadedDefinitions {
  const out: LoadedDefinitions = { definitions: [], files: {}, problems: [] };
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && e.name.endsWith('.yaml') && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    out.problems.push({ file: dir, issues: [code === 'ENOENT' ? 'directory not found' : `cannot list: ${code ?? String(err)}`] });
    return out;
  }
  for (const name of names) {
    const file = join(dir, name);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      out.problems.push({ file, issues: [`cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`] });
      continue;
    }
    const parsed = parseDefinition(text);
    if (!parsed.ok) {
      out.problems.push({ file, issues: parsed.issues });
      continue;
    }
    const { id } = parsed.definition;
    const first = out.files[id];
    if (first !== undefined) {
      out.problems.push({ file, issues: [`id: ${id} is already defined in ${first}`] });
      continue;
    }
    out.files[id] = file;
    out.definitions.push(parsed.definition);
  }
  return out;
}

function healthInput(health: NonNullable<ProcessConfig['health']>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(health)) {
    if (key !== 'probe' && isDeepStrictEqual(value, HEALTH_DEFAULTS[key])) continue;
    out[key] = key === 'interval' || key === 'timeout' ? formatDuration(value as number) : value;
  }
  return out;
}

/** The definition as file input: durations as text, defaults left out. */
export function definitionInput(def: ProcessConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(def)) {
    if (value === undefined) continue;
    if (DEFAULTED_KEYS.has(key) && isDeepStrictEqual(value, DEFAULTS[key])) continue;
    if (DURATION_KEYS.has(key)) out[key] = formatDuration(value as number);
    else if (key === 'health') out[key] = healthInput(value as NonNullable<ProcessConfig['health']>);
    else out[key] = value;
  }
  return out;
}

export function definitionToYaml(def: ProcessConfig): string {
  return HEADER + stringifyYaml(definitionInput(def), { lineWidth: 0 });
}

/**
 * Write `def` into `dir` (created if missing): over the file that already defines its id, else
 * `<id>.yaml` (ids cannot contain `/` or start with a dot). Atomic: a temporary file renamed over
 * the old one. Mode 0600, as `env` may hold secrets. Returns the path.
 */
export function saveDefinition(dir: string, def: ProcessConfig): string {
  const text = definitionToYaml(def);
  const back = parseDefinition(text);
  if (!back.ok) throw new SupervisorError('DEFINITION_INVALID', `process ${def.id} is not a valid definition:\n  ${back.issues.join('\n  ')}`);
  if (!isDeepStrictEqual(back.definition, def)) {
    throw new SupervisorError('DEFINITION_WRITE_FAILED', `process ${def.id} would not read back identically from YAML`);
  }
  try {
    mkdirSync(dir, { recursive: true });
    const file = loadDefinitions(dir).files[def.id] ?? join(dir, `${def.id}.yaml`);
    const tmp = join(dir, `.${def.id}.yaml.${process.pid}.tmp`);
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, file);
    return file;
  } catch (err) {
    throw new SupervisorError('DEFINITION_WRITE_FAILED', `cannot write process ${def.id} into ${dir}: ${(err as Error).message}`, { cause: err });
  }
}

/** Delete the file that defines `id`; false when there is none. */
export function removeDefinition(dir: string, id: string): boolean {
  const file = loadDefinitions(dir).files[id];
  if (file === undefined) return false;
  rmSync(file, { force: true });
  return true;
}
