/**
 * Runs `sitrep hub` (and `sitrep agent`) as real child processes, the way a user does, and reads
 * the ports it bound from its startup banner.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';

export const SITREP_BIN = fileURLToPath(new URL('../../cli/bin/sitrep.js', import.meta.url));

export interface HubProcess {
  child: ResultPromise;
  dataDir: string;
  url: string;
  mqttUrl: string;
  wsUrl: string;
  adminPassword: string;
  output: () => string;
  /** SIGINT, then wait for the exit; returns the exit code. */
  stop(): Promise<number | undefined>;
}

/**
 * `external`: the hub runs with `--broker URL` (in `args`) and serves no dashboard; the WebSocket
 * URL is then the external broker's.
 */
export async function startHubProcess(
  args: string[] = [],
  dataDir = mkdtempSync(join(tmpdir(), 'sitrep-hub-')),
  external?: { wsUrl: string },
): Promise<HubProcess> {
  const child = execa('node', [SITREP_BIN, 'hub', '--data', dataDir, '--mqtt-port', '0', '--http-port', '0', ...args], {
    all: true,
    reject: false,
    env: { NODE_ENV: 'test' },
  });
  let out = '';
  child.all?.setEncoding('utf8');
  const banner = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`hub did not start within 30 s:\n${out}`)), 30_000);
    child.all?.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('Press Ctrl-C to stop.')) {
        clearTimeout(timer);
        resolve(out);
      }
    });
    void child.then((r) => {
      clearTimeout(timer);
      reject(new Error(`hub exited with ${r.exitCode} before it started:\n${out}`));
    });
  });
  const url = external === undefined ? /dashboard: (\S+)/.exec(banner)?.[1] : '';
  const mqttUrl = /MQTT: +(mqtt:\/\/\S+)/.exec(banner)?.[1];
  const wsUrl = external?.wsUrl ?? /WebSocket: (ws:\/\/\S+)\)/.exec(banner)?.[1];
  if (url === undefined || mqttUrl === undefined || wsUrl === undefined) throw new Error(`cannot read the banner:\n${banner}`);
  return {
    child,
    dataDir,
    url,
    mqttUrl,
    wsUrl,
    adminPassword: readFileSync(join(dataDir, 'initial-admin-password'), 'utf8').trim(),
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      const result = await child;
      return result.exitCode;
    },
  };
}
