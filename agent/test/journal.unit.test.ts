import { describe, expect, it } from 'vitest';
import { parseJournalEntry } from '../src/journal/follower.js';

const watched = new Set(['killed.service', 'web.service']);

describe('journal entries', () => {
  it('attributes systemd messages about a unit to the unit (UNIT=)', () => {
    const e = parseJournalEntry(
      JSON.stringify({ UNIT: 'killed.service', _SYSTEMD_UNIT: 'init.scope', MESSAGE: 'killed.service: Main process exited, code=killed, status=9/KILL', PRIORITY: '4', __REALTIME_TIMESTAMP: '1795445752820959' }),
      watched,
    );
    expect(e).toEqual({ unit: 'killed.service', line: { ts: 1795445752820, text: 'killed.service: Main process exited, code=killed, status=9/KILL', stream: 'journal', priority: 4 } });
  });

  it('attributes process output to its unit (_SYSTEMD_UNIT=), decoding binary messages', () => {
    const e = parseJournalEntry(JSON.stringify({ _SYSTEMD_UNIT: 'web.service', MESSAGE: [104, 105, 0, 255], __REALTIME_TIMESTAMP: '1000' }), watched);
    expect(e?.unit).toBe('web.service');
    expect(e?.line.text.startsWith('hi')).toBe(true);
  });

  it('ignores other units and garbage', () => {
    expect(parseJournalEntry(JSON.stringify({ _SYSTEMD_UNIT: 'other.service', MESSAGE: 'x' }), watched)).toBeNull();
    expect(parseJournalEntry('not json', watched)).toBeNull();
  });

  it('truncates very long lines', () => {
    const e = parseJournalEntry(JSON.stringify({ _SYSTEMD_UNIT: 'web.service', MESSAGE: 'x'.repeat(20_000) }), watched);
    expect(e?.line.text.length).toBe(8192);
  });
});
