/**
 * A rebuild parses the log's data without the fields no fold reads (UNFOLDED_FIELDS: the last log
 * lines of failures), so every projection must fold the same rows with or without them. These
 * tests are what keeps that list honest: a projection that starts reading such a field makes
 * them fail.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '@sitrep/schemas';
import { PROJECTIONS, rebuild, derivedReadModels, rebuildTables } from '../src/index.js';
import { eventsAfter, UNFOLDED_FIELDS } from '../src/projections/event-log.js';
import { changed, dump, fixture, gaveUp, resetSeq } from './support/fixture.js';

const T0 = Date.UTC(2026, 10, 23, 10, 0, 0);
const MIN = 60_000;

/** Events carrying every unfolded field (one line even spells the field's name in quotes). */
function events(): AgentEvent[] {
  resetSeq();
  return [
    changed('n1', 'web.service', 'running', 'failed', T0, { result: 'exit-code', exitCode: 1, lastLines: ['boom', 'said "lastLines"'] }),
    changed('n1', 'web.service', 'failed', 'running', T0 + 70 * MIN),
    gaveUp('n1', 'worker', T0 + 80 * MIN),
    changed('n2', 'db.service', 'running', 'failed', T0 + 5 * MIN, { lastLines: [] }),
    changed('n2', 'db.service', 'failed', 'stopped', T0 + 200 * MIN, { expect: undefined, lastLines: ['x'.repeat(500)] }),
  ];
}

function without(e: AgentEvent): AgentEvent {
  const data = { ...(e.data as Record<string, unknown>) };
  for (const f of UNFOLDED_FIELDS[e.type] ?? []) delete data[f];
  return { ...e, data } as AgentEvent;
}

beforeEach(resetSeq);

describe('fields no fold reads', () => {
  it('leave every folded read model the same whether events carry them or not', () => {
    const all = events();
    // Every unfolded field is carried by some event of its type here.
    for (const [type, fields] of Object.entries(UNFOLDED_FIELDS)) {
      for (const field of fields) expect(all.some((e) => e.type === type && field in (e.data as object)), `${type}.${field}`).toBe(true);
    }
    const [withFields, withoutFields] = [fixture(T0), fixture(T0)];
    for (const e of all) {
      withFields.event(e);
      withoutFields.event(without(e));
    }
    const tables = rebuildTables(PROJECTIONS);
    const rows = dump(withFields.db, tables);
    expect(rows['service_hours']?.length).toBeGreaterThan(0);
    expect(rows['process_gave_up']?.length).toBe(1);
    expect(dump(withoutFields.db, tables)).toEqual(rows);
  });

  it('are left out of what a rebuild parses, and the rebuild equals live folding', () => {
    const f = fixture(T0);
    for (const e of events()) f.event(e);
    const parsed = new Set(['ServiceStateChanged', 'ProcessGaveUp']);
    const read = eventsAfter(f.db, 0, 100, parsed);
    expect(read).toHaveLength(5);
    expect(read.map((e) => Object.keys(e.data).includes('lastLines'))).toEqual([false, false, false, false, false]);
    expect(read[0]!.data).toEqual({ service: 'web.service', from: 'running', to: 'failed', expect: 'running', result: 'exit-code', exitCode: 1 });
    expect(read[2]!.data).toEqual({ process: 'worker', restarts: 5, windowMs: 300_000 });
    // Whole rows when no types are named (the log's own readers), and the views still show the lines.
    expect(eventsAfter(f.db, 0, 1)[0]!.data['lastLines']).toEqual(['boom', 'said "lastLines"']);
    const tables = derivedReadModels(PROJECTIONS);
    const live = dump(f.db, tables);
    expect((live['transitions'] as { last_lines: string }[]).map((r) => JSON.parse(r.last_lines))).toContainEqual(['boom', 'said "lastLines"']);
    rebuild(f.db, PROJECTIONS);
    expect(dump(f.db, tables)).toEqual(live);
  });
});
