/**
 * Live log lines of one node (every source), while the calling view lives: its own feed on
 * `nodes/{node}/logs/+`, re-subscribed when the node changes. Bounded; QoS 0 on the wire, so a
 * line can be missed live; the projector's history fills that in.
 */
import { getCurrentScope, onScopeDispose, shallowRef, watch, type Ref, type ShallowRef } from 'vue';
import { codecs } from '@sitrep/schemas';
import { createBatch } from './batch.js';
import type { MqttSession } from './useMqtt.js';

export const TAIL_LINES = 2000;

export interface TailLine {
  readonly key: string;
  readonly node: string;
  readonly source: string;
  readonly ts: number;
  readonly text: string;
  readonly stream: string | null;
  readonly priority: number | null;
}

export function useLogTail(session: MqttSession, node: Ref<string | null>): { lines: Readonly<ShallowRef<readonly TailLine[]>>; dropped: Readonly<ShallowRef<number>> } {
  const lines = shallowRef<readonly TailLine[]>([]);
  const dropped = shallowRef(0);
  let counter = 0;
  const batch = createBatch<TailLine>((fresh) => {
    lines.value = [...lines.value, ...fresh].slice(-TAIL_LINES);
  });
  let remove: (() => void) | null = null;

  watch(
    node,
    (n) => {
      remove?.();
      remove = null;
      batch.clear();
      lines.value = [];
      dropped.value = 0;
      if (n === null) return;
      remove = session.addFeed({
        kinds: ['logs'],
        filters: [session.topics.filter.logs(n)],
        reset() {},
        receive(topic, payload) {
          if (topic.kind !== 'logs') return `the log feed does not handle ${topic.kind} topics`;
          const d = codecs.logBatch.decode(payload);
          if (!d.ok) return d.reason;
          if (d.value.node !== topic.node || d.value.source !== topic.source) return 'payload names another node or source than its topic';
          for (const l of d.value.lines) {
            batch.push({ key: `l${++counter}`, node: d.value.node, source: d.value.source, ts: l.ts, text: l.text, stream: l.stream ?? null, priority: l.priority ?? null });
          }
          if (d.value.dropped !== undefined) dropped.value += d.value.dropped;
          return null;
        },
      });
    },
    { immediate: true },
  );
  if (getCurrentScope() !== undefined) onScopeDispose(() => remove?.());
  return { lines, dropped };
}
