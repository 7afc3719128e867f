import { describe, expect, it } from 'vitest';
import { formatAgo, formatBytes, formatDuration, formatLoad, formatPercent, toGiB } from '../src/model/format.js';

describe('format', () => {
  it('keeps one decimal below 10 % and clamps to 0-100', () => {
    expect(formatPercent(7.34)).toBe('7.3 %');
    expect(formatPercent(42.6)).toBe('43 %');
    expect(formatPercent(-1)).toBe('0.0 %');
    expect(formatPercent(100.4)).toBe('100 %');
  });

  it('formats bytes in binary units', () => {
    expect(toGiB(3.25 * 2 ** 30)).toBe('3.3');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(40 * 2 ** 30)).toBe('40.0 GiB');
    expect(formatBytes(250 * 2 ** 30)).toBe('250 GiB');
    expect(formatBytes(2 * 2 ** 40)).toBe('2.0 TiB');
  });

  it('shows a duration as its two largest units', () => {
    expect(formatDuration(45.9)).toBe('45 s');
    expect(formatDuration(12 * 60 + 30)).toBe('12 min');
    expect(formatDuration(4 * 3600 + 12 * 60)).toBe('4 h 12 min');
    expect(formatDuration(2 * 3600)).toBe('2 h');
    expect(formatDuration(3 * 86400 + 4 * 3600 + 59)).toBe('3 d 4 h');
  });

  it('says how long ago, treating clock skew as now', () => {
    const now = 1_000_000;
    expect(formatAgo(now - 2_000, now)).toBe('just now');
    expect(formatAgo(now + 60_000, now)).toBe('just now');
    expect(formatAgo(now - 3 * 60_000, now)).toBe('3 min ago');
  });

  it('prints load averages with two decimals', () => {
    expect(formatLoad([0.5, 1, 12.346])).toBe('0.50 1.00 12.35');
  });
});
