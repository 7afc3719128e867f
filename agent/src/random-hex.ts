/**
 * Random hex for ids and temporary file names, straight from the kernel's CSPRNG. node:crypto would do
 * the same, but loading it (and OpenSSL behind it) for a few bytes costs the agent about 0.9 MB of
 * RSS for its whole life (bench/README.md, agent-systemd).
 */
import { closeSync, openSync, readSync } from 'node:fs';

export function randomHex(bytes: number): string {
  const buf = Buffer.alloc(bytes);
  const fd = openSync('/dev/urandom', 'r');
  try {
    let got = 0;
    while (got < bytes) got += readSync(fd, buf, got, bytes - got, null);
  } finally {
    closeSync(fd);
  }
  return buf.toString('hex');
}
