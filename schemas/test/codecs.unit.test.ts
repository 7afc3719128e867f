import { describe, expect, it } from 'vitest';
import { codecs, parseJson, topicMatches } from '../src/index.js';

const status = { v: 1, node: 'n1', state: 'online', session: 's1', ts: 1 };
const event = { v: 1, node: 'n1', session: 's1', seq: 1, ts: 1, type: 'AgentStarted', data: { version: '0.1.0', pid: 42 } };

describe('codecs', () => {
  it('accepts valid payloads from bytes and strings', () => {
    expect(codecs.status.decode(Buffer.from(JSON.stringify(status)))).toEqual({ ok: true, value: status });
    expect(codecs.event.decode(JSON.stringify(event))).toEqual({ ok: true, value: event });
  });

  it.each([
    ['empty', '', /empty payload/],
    ['not JSON', 'hello', /not JSON/],
    ['truncated JSON', '{"v":1,', /not JSON/],
    ['wrong type', JSON.stringify({ ...status, state: 'sleepy' }), /Status at \/state/],
    ['missing field', JSON.stringify({ v: 1, node: 'n1', state: 'online', ts: 1 }), /session/],
    ['bad node id', JSON.stringify({ ...status, node: 'a+b' }), /\/node/],
    ['array', '[1,2]', /Status/],
  ])('rejects %s with a reason', (_name, payload, reason) => {
    const r = codecs.status.decode(payload);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('rejects invalid UTF-8 and oversize payloads before parsing', () => {
    const bad = codecs.status.decode(new Uint8Array([0x7b, 0xff, 0x7d]));
    expect(bad).toEqual({ ok: false, reason: 'payload is not valid UTF-8' });
    const big = parseJson(Buffer.alloc(2000, 0x20), 1000);
    expect(big.ok).toBe(false);
    if (!big.ok) expect(big.reason).toMatch(/2000 bytes exceeds the limit of 1000/);
  });

  it('refuses deeply nested JSON before parsing it, counting only brackets outside strings', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(codecs.event.decode(deep, 1_000_000)).toEqual({ ok: false, reason: 'payload nests deeper than 64 levels' });
    const nested = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);
    expect(parseJson(nested(64)).ok).toBe(true);
    expect(parseJson(nested(65))).toEqual({ ok: false, reason: 'payload nests deeper than 64 levels' });
    // Many brackets side by side are not deep: 100 objects in one array nest two levels.
    const wide = JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ i, a: [i] })));
    expect(parseJson(wide)).toEqual({ ok: true, value: JSON.parse(wide) });
    const mixed = '[{"a":'.repeat(32) + '[1]' + '}]'.repeat(32);
    expect(parseJson(mixed)).toEqual({ ok: false, reason: 'payload nests deeper than 64 levels' });
    // Brackets and escaped quotes inside strings are text, not nesting.
    const text = JSON.stringify({ message: `${'['.repeat(500)} \\" ${'{'.repeat(500)}` });
    expect(codecs.status.decode(text).ok).toBe(false);
    expect(parseJson(text)).toEqual({ ok: true, value: JSON.parse(text) });
  });

  it('discriminates events by type', () => {
    const r = codecs.event.decode(JSON.stringify({ ...event, type: 'NoSuchEvent' }));
    expect(r).toEqual({ ok: false, reason: 'AgentEvent at /type: unknown event type "NoSuchEvent"' });
    const wrongData = codecs.event.decode(JSON.stringify({ ...event, data: { version: 1, pid: 1 } }));
    expect(wrongData).toMatchObject({ ok: false, reason: expect.stringMatching(/^AgentStarted at \/data\/version/) });
    expect(codecs.event.is(event)).toBe(true);
  });

  it.each([
    ['a/+/c', 'a/b/c', true],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['a/+', 'a/b/c', false],
    ['a/b', 'a/b/c', false],
    ['#', '$SYS/x', false],
    ['+/x', 'a/x', true],
  ])('filter %s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('checks commands', () => {
    expect(codecs.command.decode('{"id":"c1","action":"restart","target":"nginx.service"}').ok).toBe(true);
    expect(codecs.command.decode('{"id":"c1","action":"rm -rf","target":"x"}').ok).toBe(false);
    expect(codecs.command.decode('{"id":"c 1","action":"start","target":"x"}').ok).toBe(false);
  });
});
