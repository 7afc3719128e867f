/**
 * The logging interface every component takes. Lines are `component level message key=value`,
 * readable in a terminal and in journald. Never pass a secret in `fields`.
 */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  child(component: string): Logger;
}

function format(fields: LogFields | undefined): string {
  if (fields === undefined) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = String(v);
    parts.push(`${k}=${/[\s"=]/.test(s) || s === '' ? JSON.stringify(s) : s}`);
  }
  return parts.length > 0 ? ` ${parts.join(' ')}` : '';
}

/** Logger writing to a sink (default: stderr through console.error), prefixed by component. */
export function createLogger(component: string, sink: (line: string) => void = (l) => console.error(l)): Logger {
  const write = (level: string) => (message: string, fields?: LogFields) =>
    sink(`${component} ${level} ${message}${format(fields)}`);
  return {
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
    child: (sub) => createLogger(`${component}/${sub}`, sink),
  };
}

/** A logger that records lines in memory, for tests that assert what was logged. */
export function memoryLogger(component = 'test'): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger(component, (l) => lines.push(l)), { lines });
}
