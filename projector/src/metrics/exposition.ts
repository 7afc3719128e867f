/**
 * Prometheus text exposition format 0.0.4: families of gauges and counters, each with HELP and
 * TYPE once, its samples together, label values escaped (backslash, double quote, newline).
 */
export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export type Labels = Record<string, string>;
type Kind = 'gauge' | 'counter';

interface Family {
  name: string;
  kind: Kind;
  help: string;
  samples: { labels: Labels; value: number }[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeValue = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export class Exposition {
  private readonly families = new Map<string, Family>();

  /** Declare a family (idempotent); samples are added with `set`. A family with no sample still says HELP and TYPE. */
  family(name: string, kind: Kind, help: string): (labels: Labels, value: number) => void {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    let f = this.families.get(name);
    if (f === undefined) {
      f = { name, kind, help, samples: [] };
      this.families.set(name, f);
    }
    const fam = f;
    return (labels, value) => {
      for (const k of Object.keys(labels)) if (!LABEL.test(k) || k.startsWith('__')) throw new Error(`invalid label name ${k}`);
      fam.samples.push({ labels, value });
    };
  }

  render(): string {
    const out: string[] = [];
    for (const f of this.families.values()) {
      out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.kind}`);
      const seen = new Set<string>();
      for (const s of f.samples) {
        const labels = Object.entries(s.labels)
          .map(([k, v]) => `${k}="${escapeValue(v)}"`)
          .join(',');
        // The same series twice is invalid exposition; the first wins (ids are unique per node upstream).
        if (seen.has(labels)) continue;
        seen.add(labels);
        out.push(`${f.name}${labels === '' ? '' : `{${labels}}`} ${formatNumber(s.value)}`);
      }
    }
    return `${out.join('\n')}\n`;
  }
}
