/**
 * A strict parser of the Prometheus text exposition format 0.0.4, written for the tests from the
 * format's rules: every line is a comment, HELP, TYPE or sample; metric and label names match
 * their grammars; label values use only the three escapes; values are Go floats (or NaN, +Inf,
 * -Inf); HELP and TYPE appear at most once per family and before its samples; a family's samples
 * are contiguous; no series appears twice; the text ends with a newline. Anything else throws,
 * naming the line.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedExposition {
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const METRIC = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const FLOAT = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|NaN|[+-]Inf)$/;

function familyOf(name: string, types: Map<string, string>): string {
  for (const suffix of ['_bucket', '_count', '_sum']) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : null;
    if (base !== null && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base;
  }
  return name;
}

function parseLabels(text: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  const re = new RegExp(`^(${LABEL})="`);
  while (i < text.length) {
    const m = re.exec(text.slice(i));
    if (m === null) throw new Error(`${where}: bad label at ${JSON.stringify(text.slice(i))}`);
    const name = m[1]!;
    if (name.startsWith('__')) throw new Error(`${where}: reserved label name ${name}`);
    i += m[0].length;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\n') throw new Error(`${where}: raw newline in a label value`);
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'n') value += '\n';
        else if (e === '\\' || e === '"') value += e;
        else throw new Error(`${where}: invalid escape \\${e ?? ''}`);
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++; // closing quote
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    labels[name] = value;
    if (text[i] === ',') i++;
    else if (i !== text.length) throw new Error(`${where}: expected , between labels`);
  }
  return labels;
}

export function parseExposition(text: string): ParsedExposition {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const samples: Sample[] = [];
  const seriesSeen = new Set<string>();
  const finished = new Set<string>();
  let current: string | null = null;
  const enter = (family: string, where: string) => {
    if (current !== family) {
      if (finished.has(family)) throw new Error(`${where}: samples of ${family} are not contiguous`);
      if (current !== null) finished.add(current);
      current = family;
    }
  };
  text.slice(0, -1).split('\n').forEach((line, n) => {
    const where = `line ${n + 1}`;
    if (line === '') return;
    const meta = new RegExp(`^# (HELP|TYPE) (${METRIC})(?: (.*))?$`).exec(line);
    if (meta !== null) {
      const [, kind, name, rest = ''] = meta as unknown as [string, string, string, string | undefined];
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`${where}: unknown type ${rest}`);
        if (types.has(name)) throw new Error(`${where}: second TYPE for ${name}`);
        if (samples.some((s) => familyOf(s.name, types) === name)) throw new Error(`${where}: TYPE after samples of ${name}`);
        types.set(name, rest);
      } else {
        if (help.has(name)) throw new Error(`${where}: second HELP for ${name}`);
        if (/\\[^n\\]/.test(rest)) throw new Error(`${where}: invalid escape in HELP`);
        help.set(name, rest);
      }
      enter(name, where);
      return;
    }
    if (line.startsWith('#')) return; // a comment
    const m = new RegExp(`^(${METRIC})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`).exec(line);
    if (m === null) throw new Error(`${where}: not a sample: ${JSON.stringify(line)}`);
    const [, name, labelText = '', raw] = m as unknown as [string, string, string | undefined, string];
    if (!FLOAT.test(raw)) throw new Error(`${where}: bad value ${raw}`);
    const labels = parseLabels(labelText, where);
    const family = familyOf(name, types);
    enter(family, where);
    const key = `${name}{${Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (seriesSeen.has(key)) throw new Error(`${where}: series ${key} twice`);
    seriesSeen.add(key);
    const value = raw === 'NaN' ? NaN : raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
    samples.push({ name, labels, value });
  });
  return { types, help, samples };
}

/** The value of the one series of `name` whose labels include `labels`. */
export function valueOf(p: ParsedExposition, name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = p.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} series of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]?.value;
}
