/**
 * Where the agent's CPU goes: a V8 .cpuprofile (node --cpu-prof) cut to the measurement window
 * and summed by self time per function and per source module. The profiled artifact is built
 * without minification, so esbuild's `// path/to/module.ts` markers map a line back to its module.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface SelfTime {
  name: string;
  module: string;
  ms: number;
  /** Share of the non-idle sampled time in the window. */
  percent: number;
}

export interface ProfileSummary {
  windowMs: number;
  samples: number;
  /** Sampled time that was not `(idle)`, ms (an estimate of CPU time, at the sampling interval). */
  busyMs: number;
  /** `(program)` (native code, parsing, the runtime) and `(garbage collector)`, ms. */
  programMs: number;
  gcMs: number;
  /** Busy and GC time per 10 s of the window, ms: shows whether a cost is steady or one-off. */
  busyPer10sMs: number[];
  gcPer10sMs: number[];
  topFunctions: SelfTime[];
  topModules: SelfTime[];
}

/** Line (0-based) → module, from esbuild's `// path` comment that opens each module's code. */
function moduleIndex(bundlePath: string): (line: number) => string {
  const starts: { line: number; module: string }[] = [];
  readFileSync(bundlePath, 'utf8')
    .split('\n')
    .forEach((text, line) => {
      const m = /^\/\/ (\S+\.(?:[cm]?[jt]s|json))$/.exec(text);
      if (m !== null) starts.push({ line, module: moduleName(m[1]!) });
    });
  return (line) => {
    let lo = 0;
    let hi = starts.length - 1;
    let found = '(bundle prelude)';
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]!.line <= line) {
        found = starts[mid]!.module;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/** `../node_modules/.pnpm/mqtt@5.16.0/node_modules/mqtt/build/lib/client.js` → `mqtt`; workspace files keep their path. */
function moduleName(path: string): string {
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (pkg !== null) return `npm:${pkg[1]}`;
  return path.replace(/^(\.\.\/)+/, '');
}

function top(map: Map<string, { name: string; module: string; us: number }>, busyUs: number, n: number): SelfTime[] {
  return [...map.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, n)
    .map((e) => ({ name: e.name, module: e.module, ms: Math.round(e.us / 100) / 10, percent: Math.round((e.us / busyUs) * 1000) / 10 }));
}

/**
 * `fromUs`/`toUs`: the window on the monotonic clock (µs, the clock V8 stamps samples with);
 * samples outside are start-up and shutdown, not steady state.
 */
export function summariseProfile(profile: CpuProfile, bundlePath: string, fromUs: number, toUs: number, n = 15): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const moduleOf = moduleIndex(bundlePath);
  const bundleUrl = `file://${bundlePath}`;
  const functions = new Map<string, { name: string; module: string; us: number }>();
  const modules = new Map<string, { name: string; module: string; us: number }>();
  let ts = profile.startTime;
  let samples = 0;
  let busyUs = 0;
  let programUs = 0;
  let gcUs = 0;
  const buckets = Math.max(1, Math.ceil((toUs - fromUs) / 10e6));
  const busyBuckets = new Array<number>(buckets).fill(0);
  const gcBuckets = new Array<number>(buckets).fill(0);
  for (let i = 0; i < profile.samples.length; i++) {
    ts += profile.timeDeltas[i] ?? 0;
    // A sample stands for the time until the next one.
    const dur = profile.timeDeltas[i + 1] ?? 0;
    if (ts < fromUs || ts >= toUs) continue;
    samples++;
    const frame = byId.get(profile.samples[i]!)?.callFrame;
    if (frame === undefined || frame.functionName === '(idle)') continue;
    busyUs += dur;
    const bucket = Math.min(buckets - 1, Math.floor((ts - fromUs) / 10e6));
    busyBuckets[bucket]! += dur;
    if (frame.functionName === '(program)') programUs += dur;
    if (frame.functionName === '(garbage collector)') {
      gcUs += dur;
      gcBuckets[bucket]! += dur;
    }
    const module =
      frame.url === bundleUrl ? moduleOf(frame.lineNumber) : frame.url.startsWith('node:') ? 'node:internal' : frame.url === '' ? '(native)' : frame.url;
    const name = `${frame.functionName || '(anonymous)'}${frame.url === '' ? '' : `:${frame.lineNumber + 1}`}`;
    const f = functions.get(`${module} ${name}`) ?? { name, module, us: 0 };
    f.us += dur;
    functions.set(`${module} ${name}`, f);
    const m = modules.get(module) ?? { name: module, module, us: 0 };
    m.us += dur;
    modules.set(module, m);
  }
  return {
    windowMs: Math.round((toUs - fromUs) / 1000),
    samples,
    busyMs: Math.round(busyUs / 100) / 10,
    programMs: Math.round(programUs / 100) / 10,
    gcMs: Math.round(gcUs / 100) / 10,
    busyPer10sMs: busyBuckets.map((us) => Math.round(us / 100) / 10),
    gcPer10sMs: gcBuckets.map((us) => Math.round(us / 100) / 10),
    topFunctions: top(functions, busyUs, n),
    topModules: top(modules, busyUs, n),
  };
}
