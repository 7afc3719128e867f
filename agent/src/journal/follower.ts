/**
 * Follows the journal of the watched units with one `journalctl -f -o json` process, keeps the last
 * lines of each unit as evidence for transitions, and hands out batches once a second, rate
 * limited per unit: a flood is counted and summarised, not forwarded line by line.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LogBatch, Logger } from '@sitrep/schemas';

type Line = LogBatch['lines'][number];

export interface JournalFollowerOptions {
  log: Logger;
  evidenceLines: number;
  maxLinesPerSecond: number;
  onBatch(unit: string, lines: Line[], dropped: number): void;
  /** The journalctl binary (tests may point at another). */
  journalctl?: string;
}

export interface JournalFollower {
  setUnits(units: readonly string[]): void;
  lastLines(unit: string): string[];
  stop(): void;
}

const MAX_LINE = 8192;

/** One journal entry as `journalctl -o json` prints it, reduced to what we publish. */
export function parseJournalEntry(json: string, watched: ReadonlySet<string>): { unit: string; line: Line } | null {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return null;
  }
  // systemd's own messages about a unit carry UNIT=; the unit's processes carry _SYSTEMD_UNIT=.
  const unit = [entry['UNIT'], entry['_SYSTEMD_UNIT']].find((u): u is string => typeof u === 'string' && watched.has(u));
  if (unit === undefined) return null;
  const raw = entry['MESSAGE'];
  // Binary messages arrive as arrays of bytes.
  const text = typeof raw === 'string' ? raw : Array.isArray(raw) ? Buffer.from(raw as number[]).toString('utf8') : '';
  const usec = Number(entry['__REALTIME_TIMESTAMP']);
  const priority = Number(entry['PRIORITY']);
  return {
    unit,
    line: {
      ts: Number.isFinite(usec) ? Math.floor(usec / 1000) : Date.now(),
      text: text.length > MAX_LINE ? `${text.slice(0, MAX_LINE - 1)}…` : text,
      stream: 'journal',
      ...(Number.isInteger(priority) && priority >= 0 && priority <= 7 ? { priority } : {}),
    },
  };
}

export function startJournalFollower(opts: JournalFollowerOptions): JournalFollower {
  const { log } = opts;
  let units: string[] = [];
  let watched = new Set<string>();
  let child: ChildProcess | null = null;
  let restartDelay = 1000;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const evidence = new Map<string, string[]>();
  const pending = new Map<string, { lines: Line[]; dropped: number; sentThisSecond: number }>();

  function take(unit: string, line: Line): void {
    const ring = evidence.get(unit) ?? [];
    ring.push(line.text);
    if (ring.length > opts.evidenceLines) ring.splice(0, ring.length - opts.evidenceLines);
    evidence.set(unit, ring);
    const p = pending.get(unit) ?? { lines: [], dropped: 0, sentThisSecond: 0 };
    if (p.sentThisSecond < opts.maxLinesPerSecond) {
      p.lines.push(line);
      p.sentThisSecond++;
    } else {
      p.dropped++;
    }
    pending.set(unit, p);
  }

  const flush = setInterval(() => {
    for (const [unit, p] of pending) {
      if (p.lines.length > 0 || p.dropped > 0) opts.onBatch(unit, p.lines, p.dropped);
    }
    pending.clear();
  }, 1000);
  flush.unref();

  function launch(): void {
    if (stopped || units.length === 0) return;
    const args = ['-f', '-n', '0', '-o', 'json', '--no-pager', ...units.flatMap((u) => ['-u', u])];
    const proc = spawn(opts.journalctl ?? 'journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    child = proc;
    const started = Date.now();
    createInterface({ input: proc.stdout! }).on('line', (json) => {
      const parsed = parseJournalEntry(json, watched);
      if (parsed !== null) take(parsed.unit, parsed.line);
    });
    let stderr = '';
    proc.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
    proc.on('error', (err) => log.warn('cannot run journalctl; journal lines will be missing', { error: err.message }));
    proc.on('close', (code, signal) => {
      if (child !== proc || stopped) return;
      child = null;
      if (Date.now() - started > 60_000) restartDelay = 1000;
      log.warn('journalctl ended; restarting', { code, signal, inMs: restartDelay, stderr: stderr.trim().slice(0, 200) });
      restartTimer = setTimeout(launch, restartDelay);
      restartTimer.unref();
      restartDelay = Math.min(60_000, restartDelay * 2);
    });
  }

  return {
    setUnits(next) {
      const sorted = [...next].sort();
      if (sorted.join('\n') === units.join('\n')) return;
      units = sorted;
      watched = new Set(sorted);
      for (const u of evidence.keys()) if (!watched.has(u)) evidence.delete(u);
      const old = child;
      child = null;
      old?.kill('SIGTERM');
      clearTimeout(restartTimer);
      launch();
    },
    lastLines: (unit) => [...(evidence.get(unit) ?? [])],
    stop() {
      stopped = true;
      clearInterval(flush);
      clearTimeout(restartTimer);
      child?.kill('SIGTERM');
      child = null;
    },
  };
}

/**
 * The last `n` journal lines of a unit, read once (`journalctl -u UNIT -n N -o cat`): evidence for
 * a transition that happened before the follower saw any line of it (just after start-up).
 */
export function journalTail(unit: string, n: number, timeoutMs = 2000): Promise<string[]> {
  return new Promise((resolve) => {
    execFile(
      'journalctl',
      ['--no-pager', '-o', 'cat', '-n', String(n), '-u', unit],
      { timeout: timeoutMs, env: { ...process.env, LC_ALL: 'C' }, maxBuffer: 1024 * 1024 },
      (err, stdout) => resolve(err ? [] : stdout.split('\n').filter((l) => l !== '').slice(-n)),
    );
  });
}
