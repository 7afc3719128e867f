import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessConfig } from '@sitrep/schemas/config';
import { formatDuration, loadDefinitions, removeDefinition, saveDefinition } from '../../src/supervisor/definitions.js';
import { SupervisorError } from '../../src/supervisor/errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sitrep-processes-'));
  dirs.push(d);
  return d;
}

const DEFS = [
  ProcessConfig.parse({ id: 'minimal', command: ['/usr/bin/sleep', '30'] }),
  ProcessConfig.parse({
    id: 'web.api@1',
    command: ['/usr/bin/node', 'server.js', '--port', '8080', 'yes', 'on', '010', '# not a comment', "quote's \"here\""],
    cwd: '/srv/web',
    env: { NODE_ENV: 'production', EMPTY: '', MULTI: 'line one\nline two', NUMBERISH: '1e3' },
    restart: 'transient',
    stopSignal: 'SIGINT',
    stopGrace: '1500ms',
    stableAfter: '90s',
    maxRestarts: 3,
    restartWindow: '2h',
    health: {
      probe: { type: 'http', url: 'http://127.0.0.1:8080/health', bodyContains: 'ok: true' },
      interval: 2.5,
      timeout: '750ms',
      failuresBeforeUnhealthy: 5,
    },
    expect: 'any',
    autostart: false,
    actions: ['start', 'stop', 'restart', 'kill'],
  }),
  ProcessConfig.parse({
    id: 'shell',
    shellCommand: 'exec backup --to "$TARGET" 2>&1 | logger',
    env: { TARGET: '/mnt/b' },
    health: { probe: { type: 'command', argv: ['/usr/local/bin/check', '-q'], expectExit: 3 } },
  }),
];

describe('process definitions', () => {
  it('round-trips: written, read back, deep-equal', () => {
    const dir = join(tmp(), 'processes.d');
    const paths = DEFS.map((d) => saveDefinition(dir, d));
    expect(paths.map((p) => p.slice(dir.length + 1))).toEqual(['minimal.yaml', 'web.api@1.yaml', 'shell.yaml']);
    const loaded = loadDefinitions(dir);
    expect(loaded.problems).toEqual([]);
    const byId = (a: ProcessConfig, b: ProcessConfig) => a.id.localeCompare(b.id);
    expect([...loaded.definitions].sort(byId)).toEqual([...DEFS].sort(byId));
    // Writing what was read gives the same bytes: the format is stable.
    const before = paths.map((p) => readFileSync(p, 'utf8'));
    loaded.definitions.forEach((d) => saveDefinition(dir, d));
    expect(paths.map((p) => readFileSync(p, 'utf8'))).toEqual(before);
  });

  it('writes durations as text and leaves defaults out', () => {
    const dir = tmp();
    const text = readFileSync(saveDefinition(dir, DEFS[1]!), 'utf8');
    expect(text).toContain('stopGrace: 1500ms');
    expect(text).toContain('stableAfter: 90s');
    expect(text).toContain('restartWindow: 2h');
    expect(text).toContain('interval: 2500ms');
    const minimal = readFileSync(saveDefinition(dir, DEFS[0]!), 'utf8');
    expect(minimal).not.toContain('restart');
    expect(minimal).not.toContain('env');
    expect([1, 999, 1000, 61_000, 60_000, 7_200_000].map(formatDuration)).toEqual(['1ms', '999ms', '1s', '61s', '1m', '2h']);
  });

  it('replaces a definition in place, also in a file named otherwise, and removes it', () => {
    const dir = tmp();
    writeFileSync(join(dir, '10-minimal.yaml'), 'id: minimal\ncommand: [/bin/true]\n');
    const changed = { ...DEFS[0]!, maxRestarts: 7 };
    expect(saveDefinition(dir, changed)).toBe(join(dir, '10-minimal.yaml'));
    expect(loadDefinitions(dir).definitions).toEqual([changed]);
    expect(readdirSync(dir)).toEqual(['10-minimal.yaml']); // no temporary file left
    expect(removeDefinition(dir, 'minimal')).toBe(true);
    expect(removeDefinition(dir, 'minimal')).toBe(false);
    expect(loadDefinitions(dir).definitions).toEqual([]);
  });

  it('reports a bad file with its path and field paths, and loads the others', () => {
    const dir = tmp();
    saveDefinition(dir, DEFS[0]!);
    writeFileSync(join(dir, 'broken.yaml'), 'id: x\ncommand: [a\n');
    writeFileSync(join(dir, 'fields.yaml'), 'id: fields\ncommand: [x]\nrestrat: always\nhealth:\n  probe: { type: tcp, host: h, port: nope }\n');
    writeFileSync(join(dir, 'both.yaml'), 'id: both\ncommand: [x]\nshellCommand: "y"\n');
    writeFileSync(join(dir, 'empty.yaml'), '');
    writeFileSync(join(dir, 'twin.yaml'), 'id: minimal\ncommand: [/bin/true]\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    writeFileSync(join(dir, '.hidden.yaml'), 'ignored');
    const loaded = loadDefinitions(dir);
    expect(loaded.definitions.map((d) => d.id)).toEqual(['minimal']);
    const problems = Object.fromEntries(loaded.problems.map((p) => [p.file.slice(dir.length + 1), p.issues]));
    expect(Object.keys(problems).sort()).toEqual(['both.yaml', 'broken.yaml', 'empty.yaml', 'fields.yaml', 'twin.yaml']);
    expect(problems['broken.yaml']![0]).toMatch(/^line \d+: not valid YAML/);
    expect(problems['fields.yaml']).toEqual(expect.arrayContaining([expect.stringMatching(/^health\.probe\.port: /), expect.stringMatching(/restrat/)]));
    expect(problems['both.yaml']).toEqual([expect.stringMatching(/^command: give exactly one of command/)]);
    expect(problems['empty.yaml']).toEqual(['(root): the file is empty']);
    expect(problems['twin.yaml']).toEqual([`id: minimal is already defined in ${join(dir, 'minimal.yaml')}`]);
  });

  it('reports a missing directory instead of throwing', () => {
    const dir = join(tmp(), 'nope');
    expect(loadDefinitions(dir)).toEqual({ definitions: [], files: {}, problems: [{ file: dir, issues: ['directory not found'] }] });
  });

  it('refuses to save an invalid definition, with a code', () => {
    const bad = { ...DEFS[0]!, id: '../escape' } as ProcessConfig;
    expect(() => saveDefinition(tmp(), bad)).toThrow(expect.objectContaining({ code: 'DEFINITION_INVALID' }) as SupervisorError);
  });
});
