/**
 * Live per-item state of the fleet: every service and every check of every node, from their
 * retained topics, validated with the contract's codecs and folded in batches.
 */
import { getCurrentScope, onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import { codecs, type CheckResult, type ServiceState } from '@sitrep/schemas';
import { applySnapshotItems } from '../model/fleet-snapshot.js';
import { applyItemChanges, decodeItem, type ItemChange, type ItemMap } from '../model/items-state.js';
import { createBatch, type Schedule } from './batch.js';
import type { MqttSession } from './useMqtt.js';

export interface ItemsStore {
  readonly services: Readonly<ShallowRef<ItemMap<ServiceState>>>;
  readonly checks: Readonly<ShallowRef<ItemMap<CheckResult>>>;
  /** Fold a fleet snapshot's service states in at once, under what retained messages already said. */
  applySnapshot(services: readonly ItemChange<ServiceState>[]): void;
}

type Change = { kind: 'service'; change: ItemChange<ServiceState> } | { kind: 'check'; change: ItemChange<CheckResult> };

/** Gated like the fleet feed: subscribed once the session's gate opens on each connect. */
export function useItems(session: MqttSession, schedule?: Schedule): ItemsStore {
  const services = shallowRef<ItemMap<ServiceState>>(new Map());
  const checks = shallowRef<ItemMap<CheckResult>>(new Map());
  /** `node\nservice` of every retained service message since the last subscribe. */
  let spoken = new Set<string>();
  const batch = createBatch<Change>((changes) => {
    services.value = applyItemChanges(services.value, changes.flatMap((c) => (c.kind === 'service' ? [c.change] : [])));
    checks.value = applyItemChanges(checks.value, changes.flatMap((c) => (c.kind === 'check' ? [c.change] : [])));
  }, schedule);
  const f = session.topics.filter;
  const remove = session.addFeed({
    kinds: ['service', 'check'],
    filters: [f.services(), f.checks()],
    gated: true,
    reset() {
      batch.clear();
      spoken = new Set();
      services.value = new Map();
      checks.value = new Map();
    },
    receive(topic, payload) {
      if (topic.kind === 'service') {
        const r = decodeItem(codecs.serviceState.decode, (v) => v.service, topic.node, topic.service, payload);
        if (!r.ok) return r.reason;
        spoken.add(`${topic.node}\n${topic.service}`);
        batch.push({ kind: 'service', change: r.change });
        return null;
      }
      if (topic.kind === 'check') {
        const r = decodeItem(codecs.checkResult.decode, (v) => v.check, topic.node, topic.check, payload);
        if (!r.ok) return r.reason;
        batch.push({ kind: 'check', change: r.change });
        return null;
      }
      return `the items feed does not handle ${topic.kind} topics`;
    },
  });
  if (getCurrentScope() !== undefined) onScopeDispose(remove);
  return {
    services,
    checks,
    applySnapshot(changes) {
      // Usually nothing has spoken yet (the retained subscriptions wait for the snapshot): then
      // no key is built for each of the fleet's services.
      services.value = applySnapshotItems(services.value, changes, (node, id) => spoken.size > 0 && spoken.has(`${node}\n${id}`));
    },
  };
}
