/** Status lines as a table: what counts as one, what it says, and which one wins. */
import { describe, expect, it } from 'vitest';
import { decideStatus, lastStatusLine, parseStatusLine, parseTimestamp, StatusLineScanner } from '../../src/checks/status-line.js';

const T = Date.parse('2024-05-01T03:00:00Z');

describe('parseStatusLine', () => {
  it.each<[string, ReturnType<typeof parseStatusLine>]>([
    ['2024-05-01T03:00:00Z, OK, all good', { status: 'OK', message: 'all good', timestamp: T }],
    ['2024-05-01T03:00:00Z,WARNING,disk at 85%', { status: 'WARNING', message: 'disk at 85%', timestamp: T }],
    ['2024-05-01T03:00:00Z, FAILURE, a, b, c', { status: 'FAILURE', message: 'a, b, c', timestamp: T }],
    ['2024-05-01T03:00:00Z, ERROR, message with, OK, inside', { status: 'ERROR', message: 'message with, OK, inside', timestamp: T }],
    ['2024-05-01T03:00:00Z, UPDATE, 3 packages', { status: 'UPDATE', message: '3 packages', timestamp: T }],
    // lower and mixed case are accepted and normalised
    ['2024-05-01T03:00:00Z, ok, fine', { status: 'OK', message: 'fine', timestamp: T }],
    ['2024-05-01T03:00:00Z, Warning, meh', { status: 'WARNING', message: 'meh', timestamp: T }],
    // no message, or an empty one
    ['2024-05-01T03:00:00Z, OK', { status: 'OK', message: '', timestamp: T }],
    ['2024-05-01T03:00:00Z, OK,', { status: 'OK', message: '', timestamp: T }],
    // spaces and CR around the fields
    ['  2024-05-01T03:00:00Z ,  OK  ,  padded  \r', { status: 'OK', message: 'padded', timestamp: T }],
    // timestamp forms
    ['2024-05-01T05:00:00+02:00, OK, offset', { status: 'OK', message: 'offset', timestamp: T }],
    ['2024-05-01T05:00:00+0200, OK, compact offset', { status: 'OK', message: 'compact offset', timestamp: T }],
    ['2024-05-01 03:00:00Z, OK, space', { status: 'OK', message: 'space', timestamp: T }],
    ['2024-05-01T03:00:00.250Z, OK, millis', { status: 'OK', message: 'millis', timestamp: T + 250 }],
    ['1714532400, OK, epoch seconds', { status: 'OK', message: 'epoch seconds', timestamp: T }],
    ['1714532400.5, OK, fractional epoch', { status: 'OK', message: 'fractional epoch', timestamp: T + 500 }],
    ['1714532400000, OK, epoch ms', { status: 'OK', message: 'epoch ms', timestamp: T }],
    ['Wed, 01 May 2024 03:00:00 +0000, OK, rfc 2822 keeps its comma', { status: 'OK', message: 'rfc 2822 keeps its comma', timestamp: T }],
    ['Wed May  1 03:00:00 UTC 2024, OK, date(1)', { status: 'OK', message: 'date(1)', timestamp: T }],
    // looks like a time but in a zone V8 cannot read: still a status line, timestamp unknown
    ['Wed May  1 05:00:00 CEST 2024, FAILURE, date(1) in CEST', { status: 'FAILURE', message: 'date(1) in CEST', timestamp: null }],
    // not status lines
    ['disk, warning, 85%', null],
    ['OK, OK, ok', null],
    ['2024-05-01T03:00:00Z, OKAY, close but no', null],
    ['2024-05-01T03:00:00Z, PASSED, unknown status', null],
    ['2024-05-01T03:00:00Z OK no commas', null],
    [', OK, no timestamp', null],
    ['2024-13-45, OK, impossible date', null],
    ['', null],
    ['just some output', null],
  ])('%j', (line, expected) => {
    expect(parseStatusLine(line)).toEqual(expected);
  });

  it('cuts a message to the contract limit (4096)', () => {
    expect(parseStatusLine(`1714532400, OK, ${'x'.repeat(5000)}`)?.message).toHaveLength(4096);
  });
});

describe('parseTimestamp', () => {
  it.each<[string, number | null | undefined]>([
    ['2024-05-01', Date.parse('2024-05-01')],
    ['2024-05-01T03:00', new Date(2024, 4, 1, 3, 0).getTime()],
    ['2024-05-01T03:00:00,250Z', T + 250],
    ['2024/05/01 03:00:00', new Date(2024, 4, 1, 3, 0).getTime()],
    ['yesterday', undefined],
    ['12345', undefined],
  ])('%j', (text, expected) => {
    expect(parseTimestamp(text)).toBe(expected);
  });
});

describe('the last status line wins, else the exit code decides', () => {
  it('takes the last of several, ignoring other lines between and after', () => {
    const out = ['starting', '1714532400, WARNING, first', 'noise, error, not one', '1714532400, OK, second', 'trailing output'].join('\n');
    expect(lastStatusLine(out)).toMatchObject({ status: 'OK', message: 'second' });
    expect(decideStatus(lastStatusLine(out), 1, out)).toEqual({ status: 'OK', message: 'second' });
  });

  it('counts a final line without a newline', () => {
    expect(lastStatusLine('a\n1714532400, FAILURE, no newline')).toMatchObject({ status: 'FAILURE' });
  });

  it.each<[string, number, { status: string; message: string }]>([
    ['', 0, { status: 'OK', message: 'exit code 0' }],
    ['backup found\n', 0, { status: 'OK', message: 'backup found' }],
    ['', 3, { status: 'FAILURE', message: 'exit code 3' }],
    ['line one\nno backup since Tuesday\n\n', 1, { status: 'FAILURE', message: 'exit code 1: no backup since Tuesday' }],
    ['1714532400, WARNING,\n', 0, { status: 'WARNING', message: 'WARNING (exit code 0)' }],
  ])('output %j exit %i', (out, code, expected) => {
    expect(decideStatus(lastStatusLine(out), code, out)).toEqual(expected);
  });

  it('finds status lines across chunk boundaries, split UTF-8 included', () => {
    const scanner = new StatusLineScanner();
    const bytes = Buffer.from('noise\n1714532400, WARNING, caf\u00e9 \u2615 half\nmore');
    for (let i = 0; i < bytes.length; i += 3) scanner.push(bytes.subarray(i, i + 3));
    scanner.end();
    expect(scanner.last).toMatchObject({ status: 'WARNING', message: 'caf\u00e9 \u2615 half' });
  });
});
