/**
 * Fuzzing the projector's ingest (issue 9): 100k hostile messages (simulator/src/hostile.ts) on
 * contract topics and hostile ones. Nothing throws, every message is accounted for (folded,
 * duplicate, cleared, or a dead letter with a reason, each dead letter a row), and the heap does not
 * grow with the number of messages. The ingest is called directly: the broker would refuse some of
 * these topics (`+`, `#`) before they reach any client, and 100k round trips through it would
 * only measure the broker.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { hostileMessages } from '@sitrep/simulator/hostile';
import { createLogger, createTopics } from '@sitrep/schemas';
import { createFolder, createIngest, openDatabase, PROJECTIONS } from '../src/index.js';

const RUNS = Number(process.env['SITREP_FUZZ_RUNS'] ?? 100_000);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapAfterGc = () => {
  gc();
  return process.memoryUsage().heapUsed;
};

describe('projector ingest under hostile input', () => {
  it(`accounts for every one of ${RUNS} messages without throwing, and memory stays flat`, () => {
    const db = openDatabase(':memory:');
    let clock = Date.UTC(2026, 10, 23);
    const ingest = createIngest({ db, topics: createTopics(), log: createLogger('projector', () => undefined), now: () => clock, folder: createFolder(db, PROJECTIONS), projections: PROJECTIONS });
    const nodes = ['n1', 'n2', 'n3'];
    const outcomes: Record<string, number> = {};
    const kinds: Record<string, number> = {};
    let deadLetters = 0;
    let heapAt10k = 0;
    let i = 0;
    fc.assert(
      fc.property(hostileMessages(nodes), (m) => {
        clock += 7;
        const o = ingest(m.topic, m.payload);
        outcomes[o.kind] = (outcomes[o.kind] ?? 0) + 1;
        kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
        if (o.kind === 'dead-letter') {
          deadLetters += 1;
          expect(o.reason.length).toBeGreaterThan(0);
        }
        if (m.kind === 'random-bytes' || m.kind === 'truncated' || m.kind === 'deeply-nested' || m.kind === 'invalid-utf8') {
          // Garbage of these kinds can never be a valid payload... except by luck for tiny ones.
          if (m.payload.length > 40) expect(o.kind, `${m.kind} on ${m.topic}`).toBe('dead-letter');
        }
        if (i % 997 === 0) expect((db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n).toBe(deadLetters);
        i += 1;
        if (i === 10_000) heapAt10k = heapAfterGc();
      }),
      { numRuns: RUNS, seed: 20261123, endOnFailure: true },
    );
    const rows = (db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
    expect(rows).toBe(deadLetters);
    // Every kind of garbage was tried, and plenty of messages were still good enough to fold.
    expect(Object.keys(kinds).length).toBeGreaterThanOrEqual(14);
    const accepted = (outcomes['folded'] ?? 0) + (outcomes['duplicate'] ?? 0) + (outcomes['cleared'] ?? 0);
    expect(accepted, JSON.stringify(outcomes)).toBeGreaterThan(RUNS / 20);
    expect(outcomes['dead-letter'] ?? 0).toBeGreaterThan(RUNS / 4);
    if (RUNS >= 20_000) expect(heapAfterGc() - heapAt10k).toBeLessThan(48 * 1024 * 1024);
  }, 600_000);
});
