/**
 * The SQLite persistence's retained matches for a subscription, read a page at a time as aedes
 * takes them (createRetainedStreamCombi): every match exactly once across page boundaries and
 * overlapping filters, candidates that do not match skipped, values as stored when their page is
 * read, and a stream whose broker closes mid-read ends instead of failing (aedes pipes it with no
 * error handler).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { memoryLogger } from '@sitrep/schemas';
import { SqlitePersistence } from '../src/persistence/index.js';
import { RETAINED_PAGE_ROWS } from '../src/persistence/sqlite-persistence.js';

let dir: string | undefined;
let p: SqlitePersistence | undefined;
afterEach(async () => {
  await p?.destroy();
  p = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function persistence(): Promise<SqlitePersistence> {
  dir = mkdtempSync(join(tmpdir(), 'sitrep-retained-stream-'));
  p = new SqlitePersistence({ path: join(dir, 'broker.db'), log: memoryLogger('persistence') });
  await p.setup({ id: 'broker-1' });
  return p;
}

const retained = (topic: string, payload: string) => ({ cmd: 'publish' as const, topic, payload: Buffer.from(payload), qos: 1 as const, retain: true, dup: false });

async function store(to: SqlitePersistence, nodes: number): Promise<void> {
  const writes: Promise<void>[] = [];
  for (let n = 0; n < nodes; n++) {
    const node = `n${String(n).padStart(4, '0')}`;
    writes.push(to.storeRetained(retained(`sitrep/v1/nodes/${node}/status`, `status ${node}`)));
    for (let s = 0; s < 3; s++) writes.push(to.storeRetained(retained(`sitrep/v1/nodes/${node}/services/s${s}`, `svc ${node} ${s}`)));
  }
  await Promise.all(writes);
}

/** Read `n` packets (all when undefined), leaving the stream open for more. */
async function take(stream: Readable, n?: number): Promise<{ topic: string; payload: string }[]> {
  const got: { topic: string; payload: string }[] = [];
  if (n === 0) return got;
  for await (const packet of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<{ topic: string; payload: Buffer }>) {
    got.push({ topic: packet.topic, payload: Buffer.from(packet.payload).toString() });
    if (n !== undefined && got.length === n) break;
  }
  return got;
}

describe('retained matches read a page at a time', () => {
  it('delivers every match once across pages and overlapping filters, and skips candidates that do not match', async () => {
    const per = await persistence();
    const nodes = RETAINED_PAGE_ROWS; // 3 services a node (+1 node): the service candidates span three pages and a bit
    await store(per, nodes + 1);
    // `#` also matches its parent level; a deeper topic does not match `+`.
    await per.storeRetained(retained('sitrep/v1/nodes/n0000', 'parent'));
    await per.storeRetained(retained('sitrep/v1/nodes/n0003/services/s0/deeper', 'deeper'));
    const filters = ['sitrep/v1/nodes/+/services/+', 'sitrep/v1/nodes/n0000/#', 'sitrep/v1/nodes/n0001/status', '+/v1/nodes/n0002/status'];
    const got = await take(per.createRetainedStreamCombi(filters));
    const topics = got.map((g) => g.topic);
    expect(new Set(topics).size).toBe(topics.length);
    const services = topics.filter((topic) => topic.includes('/services/'));
    expect(services).toHaveLength((nodes + 1) * 3);
    expect(topics).toContain('sitrep/v1/nodes/n0000');
    expect(topics).not.toContain('sitrep/v1/nodes/n0003/services/s0/deeper');
    expect(topics.filter((topic) => topic.endsWith('/status')).sort()).toEqual(['sitrep/v1/nodes/n0000/status', 'sitrep/v1/nodes/n0001/status', 'sitrep/v1/nodes/n0002/status']);
    expect(got.find((g) => g.topic === 'sitrep/v1/nodes/n0100/services/s2')?.payload).toBe('svc n0100 2');
  });

  it('reads each page when the subscriber gets to it, and ends quietly when the broker closes mid-read', async () => {
    const per = await persistence();
    await store(per, RETAINED_PAGE_ROWS);
    const last = `sitrep/v1/nodes/n${String(RETAINED_PAGE_ROWS - 1).padStart(4, '0')}/services/s2`;
    const stream = per.createRetainedStreamCombi(['sitrep/v1/nodes/+/services/+']);
    const head = await take(stream, 1);
    expect(head[0]!.topic).toBe('sitrep/v1/nodes/n0000/services/s0');
    // Written after the stream was opened and its first page read: the last page carries it.
    await per.storeRetained(retained(last, 'changed while the stream was read'));
    const tail = await take(stream);
    expect(head.length + tail.length).toBe(RETAINED_PAGE_ROWS * 3);
    expect(tail.at(-1)).toEqual({ topic: last, payload: 'changed while the stream was read' });

    const closing = per.createRetainedStreamCombi(['sitrep/v1/nodes/+/services/+']);
    const errors: unknown[] = [];
    closing.on('error', (err) => errors.push(err));
    expect(await take(closing, 1)).toHaveLength(1);
    await per.destroy();
    p = undefined;
    const after = await take(closing);
    // The rest of the page read before the close, and no page after it.
    expect(after.length).toBe(RETAINED_PAGE_ROWS - 1);
    expect(errors).toEqual([]);
  });
});
