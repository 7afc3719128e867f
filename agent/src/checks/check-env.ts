/**
 * What a check process gets from the agent: a small, explicit environment. Not the agent's own,
 * which may hold the broker password (SITREP_* variables, a passwordFile path) or a proxy token.
 */

const PASSED_THROUGH = ['PATH', 'HOME', 'USER', 'LOGNAME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The environment of a check or probe command: a few standard variables plus SITREP_CHECK_ID. */
export function checkEnv(id: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of PASSED_THROUGH) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  env['PATH'] ??= DEFAULT_PATH;
  env['SITREP_CHECK_ID'] = id;
  return env;
}

/** `30000` -> `30 s`, `1500` -> `1.5 s`: for "timed out after N s" messages. */
export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}
