/**
 * Where a phase's time goes: a V8 CPU profile taken in-process (node:inspector) around one
 * synchronous phase, summed three ways:
 * - self time per function (natives such as better-sqlite3's `prepare` / `run` show by name);
 * - native calls by their JS caller (`prepare ← foldTransition`): which call site pays for SQLite;
 * - per projector function, each sample charged to the innermost frame under the projector's src/, so the
 *   SQLite work a function asks for counts against it.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { basename } from 'node:path';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  name: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  topSelf: Share[];
  nativeByCaller: Share[];
  byProjectorFunction: Share[];
}

const SAMPLING_US = 250;

/** Run `phase` under the profiler; the raw .cpuprofile is written to `rawPath`. */
export async function profiled<T>(rawPath: string, projectorSrc: string, phase: () => T): Promise<{ value: T; summary: ProfileSummary }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: SAMPLING_US });
    await session.post('Profiler.start');
    const value = phase();
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
    writeFileSync(rawPath, JSON.stringify(profile));
    return { value, summary: summarise(profile, projectorSrc) };
  } finally {
    session.disconnect();
  }
}

const frameName = (f: CallFrame) =>
  f.url === '' ? f.functionName || '(anonymous native)' : `${f.functionName || '(anonymous)'} ${basename(f.url.split('?')[0]!)}:${f.lineNumber + 1}`;

function top(m: Map<string, number>, total: number, n: number): Share[] {
  return [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, percent: Math.round((1000 * us) / total) / 10 }));
}

export function summarise(p: CpuProfile, projectorSrc: string, n = 15): ProfileSummary {
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of p.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const self = new Map<string, number>();
  const native = new Map<string, number>();
  const projector = new Map<string, number>();
  let total = 0;
  const add = (m: Map<string, number>, k: string, us: number) => m.set(k, (m.get(k) ?? 0) + us);
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i + 1] is how long the stack of sample i was running.
    const us = p.timeDeltas[i + 1] ?? 0;
    const node = byId.get(p.samples[i]!)!;
    if (node.callFrame.functionName === '(idle)') continue;
    total += us;
    add(self, frameName(node.callFrame), us);
    if (node.callFrame.url === '' && !node.callFrame.functionName.startsWith('(')) {
      let up = parent.get(node.id);
      while (up !== undefined && byId.get(up)!.callFrame.url === '') up = parent.get(up);
      add(native, `${node.callFrame.functionName} ← ${up === undefined ? '?' : frameName(byId.get(up)!.callFrame)}`, us);
    }
    let owner: number | undefined = node.id;
    while (owner !== undefined && !byId.get(owner)!.callFrame.url.startsWith(projectorSrc)) owner = parent.get(owner);
    add(projector, owner === undefined ? '(outside projector/src)' : frameName(byId.get(owner)!.callFrame), us);
  }
  return { totalMs: Math.round(total / 1000), topSelf: top(self, total, n), nativeByCaller: top(native, total, n), byProjectorFunction: top(projector, total, n) };
}
