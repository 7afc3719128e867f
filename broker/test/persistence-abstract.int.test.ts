/**
 * aedes-persistence's own conformance suite (`abstract.js`, written for node:test) run against
 * the SQLite persistence, each case as a vitest test so it counts in the run's totals. A small
 * adapter gives each case the node:test context it uses: `t.assert` (node's loose `assert`,
 * exactly what node:test binds), `t.plan` (checked when the case ends) and `t.diagnostic`.
 *
 * Run twice: promise-based (`testAsync`, how aedes 1.x calls a persistence) and through
 * aedes-persistence's callback wrapper (the interface older aedes and tools use). Every case
 * applies; none is skipped. Each instance is a fresh SQLite file on disk.
 */
import assert from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, test } from 'vitest';
import { memoryLogger } from '@sitrep/schemas';
import { SqlitePersistence } from '../src/persistence/index.js';

const require = createRequire(import.meta.url);
const abstract = require('aedes-persistence/abstract.js') as (opts: Record<string, unknown>) => void;
const { CallBackPersistence } = require('aedes-persistence/callBackPersistence.js') as {
  CallBackPersistence: new (factory: () => unknown, opts?: object) => unknown;
};
const mqemitter = require('mqemitter') as () => unknown;

type Case = (t: NodeTestContext) => Promise<void> | void;

interface NodeTestContext {
  assert: Record<string, (...args: unknown[]) => unknown>;
  plan(n: number): void;
  diagnostic(message: string): void;
}

const ASSERTIONS = ['ok', 'equal', 'notEqual', 'deepEqual', 'notDeepEqual', 'strictEqual', 'notStrictEqual', 'deepStrictEqual', 'throws', 'rejects', 'match'] as const;

function nodeTestAdapter(name: string, fn: Case): void {
  test(name, async () => {
    let planned: number | undefined;
    let count = 0;
    const asserts: NodeTestContext['assert'] = {};
    for (const method of ASSERTIONS) {
      const real = (assert as unknown as Record<string, (...args: unknown[]) => unknown>)[method]!;
      asserts[method] = (...args) => {
        count++;
        return real(...args);
      };
    }
    await fn({ assert: asserts, plan: (n) => (planned = n), diagnostic: () => undefined });
    if (planned !== undefined) assert.equal(count, planned, `planned ${planned} assertions, ran ${count}`);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sitrep-persistence-abstract-'));
let files = 0;
const sqlite = () => new SqlitePersistence({ path: join(dir, `p${files++}.db`), log: memoryLogger('persistence') });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('aedes-persistence abstract suite, SQLite, promise interface', () => {
  abstract({ test: nodeTestAdapter, persistence: sqlite, buildEmitter: mqemitter, testAsync: true });
});

describe('aedes-persistence abstract suite, SQLite, callback interface', () => {
  abstract({
    test: nodeTestAdapter,
    persistence: () => new CallBackPersistence(sqlite),
    buildEmitter: mqemitter,
    waitForReady: true,
  });
});
