/**
 * Fuzzing the dashboard's parsers (issue 9): 25k hostile messages (simulator/src/hostile.ts) into one
 * MQTT session with every live store attached. Nothing throws, and every message whose payload fails
 * the contract's codec for a topic the dashboard consumes is counted as invalid, never folded. The
 * transport is the fake mqtt.js client of the other store tests (the real client over a real broker
 * is covered by the browser end-to-end test); the parsing and folding are the real code.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import fc from 'fast-check';
import { effectScope, ref } from 'vue';
import { codecs, NODE_ID_PATTERN, type Codec } from '@sitrep/schemas';
import { hostileMessages } from '@sitrep/simulator/hostile';
import { useCommands } from '../src/composables/useCommands.js';
import { useEvents } from '../src/composables/useEvents.js';
import { useFleet } from '../src/composables/useFleet.js';
import { useHubState } from '../src/composables/useHubState.js';
import { useItems } from '../src/composables/useItems.js';
import { useLogTail } from '../src/composables/useLogTail.js';
import { useMqtt } from '../src/composables/useMqtt.js';
import { fakeConnect, type FakeClient } from './fake-client.js';

const RUNS = Number(process.env['SITREP_FUZZ_RUNS'] ?? 25_000);
const CODECS: Record<string, Codec<any>> = {
  status: codecs.status,
  birth: codecs.birth,
  metrics: codecs.metrics,
  service: codecs.serviceState,
  check: codecs.checkResult,
  events: codecs.event,
};

afterAll(() => vi.restoreAllMocks());

describe('dashboard stores under hostile input', () => {
  it(`count every invalid one of ${RUNS} messages and never fold it`, () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const clients: FakeClient[] = [];
    const scope = effectScope();
    const sync = (run: () => void) => run();
    const stores = scope.run(() => {
      const session = useMqtt({ url: 'ws://127.0.0.1:1/mqtt', prefix: 'sitrep/v1', connect: fakeConnect(clients) });
      return {
        session,
        fleet: useFleet(session, sync),
        items: useItems(session, sync),
        events: useEvents(session, sync),
        hub: useHubState(session),
        tail: useLogTail(session, ref('n1')),
        commands: useCommands(session),
      };
    })!;
    stores.session.login({ username: 'viewer', password: 'pw' });
    const client = clients.at(-1)!;
    client.emit('connect');
    const nodeRe = new RegExp(NODE_ID_PATTERN);
    let rejected = 0;
    fc.assert(
      fc.property(hostileMessages(['n1', 'n2']), (m) => {
        const before = stores.session.invalidCount.value;
        client.emit('message', m.topic, m.payload, { retain: false, topic: m.topic, payload: m.payload });
        const parsed = stores.session.topics.parse(m.topic);
        const codec = parsed.ok ? CODECS[parsed.topic.kind] : undefined;
        if (codec !== undefined && m.payload.length > 0 && !codec.decode(m.payload).ok) {
          rejected += 1;
          expect(stores.session.invalidCount.value, `${m.kind} on ${m.topic}`).toBe(before + 1);
        }
        for (const id of stores.fleet.nodes.value.keys()) expect(id).toMatch(nodeRe);
      }),
      { numRuns: RUNS, seed: 20261123, endOnFailure: true },
    );
    expect(rejected).toBeGreaterThan(RUNS / 4);
    expect(stores.fleet.nodes.value.size).toBeGreaterThan(0); // the valid ones did fold
    scope.stop();
  }, 300_000);
});
