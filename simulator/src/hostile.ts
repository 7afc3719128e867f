/**
 * Hostile traffic for property-based tests (fast-check): what a broken, old, or malicious client
 * could put on the bus. Every parser of the bus (projector, agent, dashboard) is fed from here, so
 * they all face the same garbage: random bytes, invalid UTF-8, truncated and deeply nested JSON,
 * valid payloads with one field of the wrong type, huge strings, ids with `+ # /` and NUL,
 * out-of-range numbers, prototype-pollution keys, and payloads addressed to the wrong node.
 *
 * Valid payloads come from the simulator's own hosts, so the mutations start from exactly what
 * real agents send.
 */
import fc from 'fast-check';
import { createTopics, type Topics } from '@sitrep/schemas';
import { SimHost, type Outgoing } from './host.js';
import { seededRandom } from './random.js';

export interface BusMessage {
  topic: string;
  payload: Buffer;
  /** Which generator made it: lets a failing property say what kind of garbage broke it. */
  kind: string;
}

const HOSTILE_IDS = ['+', '#', 'a/b', 'a\u0000b', '$SYS', '', ' ', '..', 'x'.repeat(300), 'ünïcødé', '\u{1F4A5}', 'A-UPPER', '-lead'];
const ODD_NUMBERS = [-1, -0, 1e308, -1e308, 2 ** 53 + 1, 2 ** 64, 1e-320, 0.5, 4294967296];
const ODD_JSON = ['1e999', '-1e999', 'NaN', 'Infinity', '00', '1.', '.5', '0x10', '"\\ud800"', 'null', 'true', '[]', '{}'];

/** Valid messages, as the simulator's hosts publish them: births, states, events, logs, results. */
export function sampleValidMessages(t: Topics = createTopics(), count = 400, seed = 7): Outgoing[] {
  const rnd = seededRandom(seed);
  const host = new SimHost('fuzz-node', t, { services: 3, checks: 2, failureRate: 0.5, logLines: 3, checkEvery: 1 }, rnd, 10, 1_700_000_000_000);
  const out: Outgoing[] = [...host.announce(1_700_000_000_000, true)];
  for (let i = 1; out.length < count; i += 1) {
    out.push(...host.tick(1_700_000_000_000 + i * 10_000));
    if (i % 5 === 0) out.push(...host.command({ id: `c${i}`, action: 'restart', target: 'svc-01.service' }, 1_700_000_000_000 + i * 10_000));
  }
  // Commands as an operator sends them (they carry no node: the topic addresses it).
  const commands = [
    { id: 'c-restart', action: 'restart', target: 'svc-01.service', by: 'operator' },
    { id: 'c-run', action: 'run', target: 'check-1', expiresAt: 1_800_000_000_000 },
    { id: 'c-replay', action: 'replay', target: '', args: { fromSeq: 3 } },
    { id: 'c-stop', action: 'stop', target: 'svc-02.service' },
    { id: 'c-rebirth', action: 'rebirth', target: '' },
  ];
  const cmds: Outgoing[] = commands.map((payload) => ({ topic: t.cmd('fuzz-node'), payload, qos: 1, retain: false }));
  return [...out.slice(0, Math.max(0, count - cmds.length)), ...cmds];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const pathCache = new WeakMap<object, (string | number)[][]>();

/** Every path to a leaf or subtree of a JSON value (cached per value), so a mutation can hit any field. */
function paths(value: Json): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [];
  let cached = pathCache.get(value);
  if (cached === undefined) {
    cached = collectPaths(value);
    pathCache.set(value, cached);
  }
  return cached;
}

function collectPaths(value: Json, prefix: (string | number)[] = [], acc: (string | number)[][] = []): (string | number)[][] {
  if (prefix.length > 0) acc.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => collectPaths(v, [...prefix, i], acc));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) collectPaths(v, [...prefix, k], acc);
  return acc;
}

function setAt(root: Json, path: (string | number)[], v: Json): Json {
  const copy = structuredClone(root);
  let cur = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) cur = cur[key] as Record<string | number, Json>;
  cur[path[path.length - 1] as string | number] = v;
  return copy;
}

function deleteAt(root: Json, path: (string | number)[]): Json {
  const copy = structuredClone(root);
  let cur = copy as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) cur = cur[key] as Record<string | number, Json>;
  const last = path[path.length - 1] as string | number;
  if (Array.isArray(cur)) cur.splice(Number(last), 1);
  else delete cur[last];
  return copy;
}

/** A topic: mostly real contract topics (so payload checks are reached), sometimes hostile ones. */
function topicArb(t: Topics, nodes: readonly string[], valid: readonly Outgoing[]): fc.Arbitrary<string> {
  const node = fc.constantFrom(...nodes);
  const realForNode = fc.tuple(fc.constantFrom(...valid.map((v) => v.topic)), node).map(([topic, n]) => topic.replace('/fuzz-node/', `/${n}/`));
  const hostileLevel = fc.oneof(fc.constantFrom(...HOSTILE_IDS), fc.string({ maxLength: 40, unit: 'grapheme' }));
  const hostile = fc.oneof(
    fc.tuple(hostileLevel, fc.constantFrom('status', 'birth', 'metrics', 'events', 'cmd', 'cmd/result')).map(([n, k]) => `${t.prefix}/nodes/${n}/${k}`),
    fc.tuple(node, fc.constantFrom('services', 'checks', 'logs'), hostileLevel).map(([n, k, id]) => `${t.prefix}/nodes/${n}/${k}/${id}`),
    fc.tuple(node, fc.string({ maxLength: 20 })).map(([n, k]) => `${t.prefix}/nodes/${n}/${k}`),
    fc.tuple(node, fc.array(fc.string({ maxLength: 8 }), { maxLength: 6 })).map(([n, rest]) => `${t.prefix}/nodes/${n}/${rest.join('/')}`),
    fc.string({ maxLength: 80 }),
  );
  return fc.oneof({ weight: 4, arbitrary: realForNode }, { weight: 1, arbitrary: hostile });
}

/** A payload: derived from a valid one for the same topic kind, or plain garbage. */
function payloadArb(base: fc.Arbitrary<Json>): fc.Arbitrary<{ payload: Buffer; kind: string }> {
  const asBytes = (kind: string) => (s: string) => ({ payload: Buffer.from(s, 'utf8'), kind });
  const mutateField = <T>(kind: string, value: fc.Arbitrary<T>, apply: (root: Json, path: (string | number)[], v: T) => Json) =>
    base.chain((root) => {
      const all = paths(root);
      if (all.length === 0) return fc.constant({ payload: Buffer.from(JSON.stringify(root)), kind });
      return fc.tuple(fc.constantFrom(...all), value).map(([p, v]) => ({ payload: Buffer.from(JSON.stringify(apply(root, p, v))), kind }));
    });
  return fc.oneof(
    { weight: 2, arbitrary: base.map((v) => ({ payload: Buffer.from(JSON.stringify(v)), kind: 'valid' })) },
    fc.uint8Array({ maxLength: 2048 }).map((b) => ({ payload: Buffer.from(b), kind: 'random-bytes' })),
    base.chain((v) => {
      const s = JSON.stringify(v);
      return fc.nat({ max: Math.max(0, s.length - 1) }).map((n) => ({ payload: Buffer.from(s.slice(0, n)), kind: 'truncated' }));
    }),
    fc.tuple(fc.integer({ min: 10, max: 20_000 }), fc.boolean(), fc.boolean()).map(([depth, obj, closed]) => {
      const open = obj ? '{"a":'.repeat(depth) : '['.repeat(depth);
      const close = closed ? (obj ? '}'.repeat(depth) : ']'.repeat(depth)) : '';
      return { payload: Buffer.from(`${open}1${close}`), kind: 'deeply-nested' };
    }),
    mutateField('wrong-type', fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>, setAt),
    mutateField('missing-field', fc.constant(null), (root, p) => deleteAt(root, p)),
    mutateField('odd-number', fc.constantFrom(...ODD_NUMBERS), setAt),
    mutateField('hostile-id', fc.constantFrom(...HOSTILE_IDS), setAt),
    // Built as bytes around a marker: stringifying a 400 kB string per message would dominate the run.
    base.chain((root) =>
      fc.tuple(fc.constantFrom(...(paths(root).length > 0 ? paths(root) : [[]])), fc.integer({ min: 5_000, max: 400_000 })).map(([p, n]) => {
        const text = p.length === 0 ? '"__HUGE__"' : JSON.stringify(setAt(root, p, '__HUGE__'));
        const [head, tail] = text.split('__HUGE__') as [string, string];
        return { payload: Buffer.concat([Buffer.from(head), Buffer.alloc(n, 'x'), Buffer.from(tail)]), kind: 'huge-string' };
      }),
    ),
    mutateField('unicode', fc.string({ maxLength: 64, unit: 'binary' }), setAt),
    base.chain((v) =>
      fc.tuple(fc.constantFrom(...ODD_JSON), fc.constantFrom(...paths(v).filter((p) => p.length === 1))).map(([lit, p]) => {
        const marker = '"__ODD__"';
        return asBytes('odd-json-literal')(JSON.stringify(setAt(v, p, '__ODD__')).replace(marker, lit));
      }),
    ),
    base.chain((v) =>
      fc.tuple(fc.nat(), fc.constantFrom(0xff, 0xfe, 0xc3, 0xed, 0x80, 0x00)).map(([at, byte]) => {
        const b = Buffer.from(JSON.stringify(v));
        b[at % b.length] = byte;
        return { payload: b, kind: 'invalid-utf8' };
      }),
    ),
    base.map((v) => asBytes('proto-pollution')(JSON.stringify(v).replace(/^\{/, '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}},'))),
    fc.constantFrom('', ' ', 'null', '[]', '{}', '"x"', '0', 'true').map(asBytes('empty-ish')),
  );
}

/**
 * Hostile messages for the given nodes. Topics and payloads are paired by topic kind, so a payload
 * mutated from a valid birth is usually sent on a birth topic (the deep checks), sometimes elsewhere.
 */
export function hostileMessages(nodes: readonly string[], t: Topics = createTopics()): fc.Arbitrary<BusMessage> {
  const valid = sampleValidMessages(t);
  const byKind = new Map<string, Json[]>();
  const kindOf = (topic: string) => {
    const p = t.parse(topic);
    return p.ok ? p.topic.kind : 'other';
  };
  for (const v of valid) byKind.set(kindOf(v.topic), [...(byKind.get(kindOf(v.topic)) ?? []), v.payload as Json]);
  const allPayloads = valid.map((v) => v.payload as Json);
  // Payloads name their node: mostly the topic's (so the deep checks are reached), else a mismatch.
  const withNode = (p: Json, n: string): Json => (p !== null && typeof p === 'object' && !Array.isArray(p) && 'node' in p ? { ...p, node: n } : p);
  const renamed = new Map<string, Json>();
  const cachedWithNode = (p: Json, i: number, n: string): Json => {
    const key = `${i}:${n}`;
    let v = renamed.get(key);
    if (v === undefined) renamed.set(key, (v = withNode(p, n)));
    return v;
  };
  const index = new Map(allPayloads.map((p, i) => [p, i]));
  return topicArb(t, nodes, valid).chain((topic) => {
    const parsed = t.parse(topic);
    const topicNode = parsed.ok && 'node' in parsed.topic ? parsed.topic.node : 'fuzz-node';
    const same = byKind.get(kindOf(topic)) ?? allPayloads;
    const base = fc
      .tuple(
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...same) }, { weight: 1, arbitrary: fc.constantFrom(...allPayloads) }),
        fc.oneof({ weight: 4, arbitrary: fc.constant(topicNode) }, { weight: 1, arbitrary: fc.constantFrom(...nodes, 'fuzz-node') }),
      )
      .map(([p, n]) => cachedWithNode(p, index.get(p) ?? -1, n));
    return payloadArb(base).map(({ payload, kind }) => ({ topic, payload, kind }));
  });
}

/**
 * Hostile payloads for one topic kind (e.g. `cmd` for an agent, `status` for a dashboard), mutated
 * from valid payloads of that kind, plus the garbage every parser must survive.
 */
export function hostilePayloads(kind: string, t: Topics = createTopics()): fc.Arbitrary<{ payload: Buffer; kind: string }> {
  const valid = sampleValidMessages(t).filter((m) => {
    const p = t.parse(m.topic);
    return p.ok && p.topic.kind === kind;
  });
  if (valid.length === 0) throw new Error(`no valid ${kind} payloads to start from`);
  return payloadArb(fc.constantFrom(...valid.map((v) => v.payload as Json)));
}
