/**
 * docs/examples/node-red-flow.json: importable (the structure Node-RED's importer needs: unique
 * ids, wires to existing nodes, MQTT nodes bound to the broker config), subscribed to topics of the
 * contract, and its function nodes do what they say. Node-RED itself is not installed here (a large
 * dependency for one example): its function nodes are run in a VM with the same `msg`, `node` and
 * `flow` objects Node-RED gives them, on real contract payloads.
 */
import { readFileSync } from 'node:fs';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { codecs, createTopics, topicMatches } from '@sitrep/schemas';
import { service, status } from './support/fleet.js';

type FlowNode = { id: string; type: string; z?: string; wires?: string[][]; broker?: string; topic?: string; func?: string; payload?: string; name?: string };
const flow = JSON.parse(readFileSync(new URL('../../docs/examples/node-red-flow.json', import.meta.url), 'utf8')) as FlowNode[];
const t = createTopics();
const byId = new Map(flow.map((n) => [n.id, n]));

function runFunction(id: string, msg: unknown, ctx: Map<string, unknown>) {
  const fn = byId.get(id)!;
  const calls = { status: [] as unknown[], errors: [] as unknown[] };
  const node = { status: (s: unknown) => calls.status.push(s), warn: (w: unknown) => calls.errors.push(w), error: (e: unknown) => calls.errors.push(e) };
  const flowCtx = { get: (k: string) => ctx.get(k), set: (k: string, v: unknown) => void ctx.set(k, v) };
  const out = runInNewContext(`(function (msg) {\n${fn.func}\n})(msg)`, { msg, node, flow: flowCtx, Date, Math, JSON, Object }) as unknown;
  return { out: out as { topic: string; payload: unknown } | null, calls };
}

describe('docs/examples/node-red-flow.json', () => {
  it('has the structure an import needs', () => {
    expect(new Set(flow.map((n) => n.id)).size).toBe(flow.length);
    const tab = flow.find((n) => n.type === 'tab')!;
    const broker = flow.find((n) => n.type === 'mqtt-broker')!;
    for (const n of flow.filter((x) => x.type !== 'tab' && x.type !== 'mqtt-broker')) {
      expect(n.z, n.id).toBe(tab.id);
      for (const out of n.wires ?? []) for (const target of out) expect(byId.has(target), `${n.id} -> ${target}`).toBe(true);
      if (n.type.startsWith('mqtt ')) expect(n.broker, n.id).toBe(broker.id);
    }
    expect(JSON.stringify(broker)).not.toMatch(/password/i); // credentials are never in an export
  });

  it('subscribes to topics of the contract', () => {
    const subs = flow.filter((n) => n.type === 'mqtt in').map((n) => n.topic!);
    expect(subs.some((f) => topicMatches(f, t.status('web-1')))).toBe(true);
    expect(subs.some((f) => topicMatches(f, t.service('web-1', 'nginx.service')))).toBe(true);
    expect(subs.some((f) => topicMatches(f, t.summary()))).toBe(true);
    expect(subs.some((f) => topicMatches(f, t.cmdResult('web-1')))).toBe(true);
    for (const f of subs) expect(f.startsWith(`${t.prefix}/`), f).toBe(true);
  });

  it('folds retained status and service payloads into the fleet state, and forgets on empty payloads', () => {
    const ctx = new Map<string, unknown>();
    runFunction('sitrep-fleet', { topic: t.status('web-1'), payload: JSON.stringify(status('web-1')) }, ctx);
    runFunction('sitrep-fleet', { topic: t.service('web-1', 'cron.service'), payload: JSON.stringify(service('web-1', 'cron.service', 'running')) }, ctx);
    const r = runFunction('sitrep-fleet', { topic: t.service('web-1', 'nginx.service'), payload: JSON.stringify(service('web-1', 'nginx.service', 'failed')) }, ctx);
    expect(r.out!.payload).toEqual({
      nodes: [{ node: 'web-1', state: 'online', services: { 'cron.service': { state: 'running', expect: 'running' }, 'nginx.service': { state: 'failed', expect: 'running' } } }],
      unhealthy: ['web-1/nginx.service'],
    });
    expect(r.calls.status.at(-1)).toMatchObject({ fill: 'red', text: '1/1 online, 1 unhealthy' });
    const cleared = runFunction('sitrep-fleet', { topic: t.service('web-1', 'nginx.service'), payload: '' }, ctx);
    expect((cleared.out!.payload as { unhealthy: string[] }).unhealthy).toEqual([]);
  });

  it("the restart button's command is a valid sitrep command on the node's cmd topic", () => {
    const inject = flow.find((n) => n.type === 'inject')!;
    const r = runFunction('sitrep-make-command', { payload: JSON.parse(inject.payload!) as unknown }, new Map());
    expect(r.out!.topic).toBe(t.cmd('web-1'));
    const cmd = codecs.command.decode(String(r.out!.payload));
    expect(cmd.ok, cmd.ok ? '' : cmd.reason).toBe(true);
    expect(cmd.ok && cmd.value).toMatchObject({ action: 'restart', target: 'nginx.service', by: 'node-red' });
    const bad = runFunction('sitrep-make-command', { payload: { node: '+', action: 'restart', target: 'x' } }, new Map());
    expect(bad.out).toBeNull();
    expect(bad.calls.errors).toHaveLength(1);
  });
});
