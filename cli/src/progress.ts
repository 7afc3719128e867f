/**
 * Progress on stderr: a redrawn bar on a terminal, a line every 10% otherwise (logs, CI), so long
 * work never looks hung.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): (done: number, total: number, elapsedMs: number) => void {
  let lastDecile = -1;
  return (done, total, elapsedMs) => {
    const fraction = total > 0 ? Math.min(1, done / total) : 1;
    const rate = elapsedMs > 0 ? Math.round((done / elapsedMs) * 1000) : 0;
    const text = `${label} ${Math.floor(fraction * 100)}% ${done}/${total} events, ${(elapsedMs / 1000).toFixed(1)} s, ${rate}/s`;
    if (stream.isTTY) {
      const width = 30;
      const filled = Math.round(fraction * width);
      stream.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${text}`);
      return;
    }
    const decile = Math.floor(fraction * 10);
    if (decile !== lastDecile) {
      lastDecile = decile;
      stream.write(`${text}\n`);
    }
  };
}
