/** The hostile generator itself: it must produce every kind of garbage it promises, and its "valid" ones must be valid. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { codecs, createTopics } from '@sitrep/schemas';
import { hostileMessages, sampleValidMessages } from '../src/hostile.js';

const t = createTopics();

describe('hostile messages', () => {
  it('cover every kind of garbage', () => {
    const kinds = new Set(fc.sample(hostileMessages(['n1', 'n2']), { numRuns: 3000, seed: 42 }).map((m) => m.kind));
    expect([...kinds].sort()).toEqual(
      ['deeply-nested', 'empty-ish', 'huge-string', 'hostile-id', 'invalid-utf8', 'missing-field', 'odd-json-literal', 'odd-number', 'proto-pollution', 'random-bytes', 'truncated', 'unicode', 'valid', 'wrong-type'].sort(),
    );
  });

  it('start from payloads that pass the contract', () => {
    const valid = sampleValidMessages(t);
    const kinds = new Set<string>();
    for (const m of valid) {
      const p = t.parse(m.topic);
      expect(p.ok).toBe(true);
      if (!p.ok) continue;
      kinds.add(p.topic.kind);
      const codec = { status: codecs.status, birth: codecs.birth, metrics: codecs.metrics, service: codecs.serviceState, check: codecs.checkResult, events: codecs.event, logs: codecs.logBatch, cmdResult: codecs.commandResult, cmd: codecs.command }[p.topic.kind as string];
      expect(codec === undefined ? 'no codec' : codec.problem(m.payload), m.topic).toBeNull();
    }
    expect([...kinds].sort()).toEqual(['birth', 'check', 'cmd', 'cmdResult', 'events', 'logs', 'metrics', 'service', 'status']);
  });
});
