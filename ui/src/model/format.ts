/** Text formatting for the dashboard. Pure: time comes in as arguments, never from the clock. */

const GiB = 2 ** 30;
const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** `7.3 %` below 10, `42 %` above: small values need the decimal, large ones do not. */
export function formatPercent(percent: number): string {
  const clamped = Math.min(100, Math.max(0, percent));
  return `${clamped < 10 ? clamped.toFixed(1) : Math.round(clamped)} %`;
}

/** Bytes in GiB with one decimal, without the unit (for `used / total GiB`). */
export function toGiB(bytes: number): string {
  return (bytes / GiB).toFixed(1);
}

/** Bytes in the largest binary unit that keeps the number at or above 1. */
export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${BYTE_UNITS[unit]}`;
}

/** A duration as its two largest units: `3 d 4 h`, `4 h 12 min`, `12 min`, `45 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m > 0 ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/** How long ago `ts` was at `now` (both ms). A future `ts` (clock skew) reads as `just now`. */
export function formatAgo(ts: number, now: number): string {
  const seconds = Math.floor((now - ts) / 1000);
  if (seconds < 5) return 'just now';
  return `${formatDuration(seconds)} ago`;
}

/** Load averages over 1, 5 and 15 minutes. */
export function formatLoad(load: readonly [number, number, number]): string {
  return load.map((n) => n.toFixed(2)).join(' ');
}
