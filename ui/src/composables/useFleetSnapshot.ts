/**
 * The overview's first paint from the projector's fleet snapshot: on every connect, before the
 * fleet and items feeds subscribe to the retained state of every node (thousands of topics), the
 * session's gate asks the projector for the `fleetSnapshot` query, folds the answer into the
 * stores and lets the browser paint it; then the feeds subscribe and the retained messages take
 * over (model/fleet-snapshot: they always win). No answer within SNAPSHOT_TIMEOUT_MS (no
 * projector, or a slow one), an error or an invalid snapshot: the feeds subscribe anyway and the
 * page reads the retained state alone, as without a snapshot.
 */
import { getCurrentScope, onScopeDispose, shallowRef, type ShallowRef } from 'vue';
import { readSnapshot } from '../model/fleet-snapshot.js';
import { afterVueAndFrame } from './batch.js';
import type { FleetStore } from './useFleet.js';
import type { ItemsStore } from './useItems.js';
import type { MqttSession } from './useMqtt.js';
import type { QueryClient } from './useQuery.js';

/**
 * How long the retained subscriptions wait for the snapshot. The projector answers in tens of ms
 * when it is up (~0.2 s under the bench's load); waiting longer would only delay the page when it
 * is down.
 */
export const SNAPSHOT_TIMEOUT_MS = 1000;

export type SnapshotStatus =
  | { readonly state: 'idle' }
  | { readonly state: 'asking' }
  | { readonly state: 'applied'; readonly ts: number; readonly nodes: number; readonly services: number }
  | { readonly state: 'fallback'; readonly reason: string };

export interface SnapshotOptions {
  readonly timeoutMs?: number;
  /** Calls back once the folded snapshot has been rendered (default: Vue's render and a frame). */
  readonly afterRender?: (done: () => void) => void;
}

export function useFleetSnapshot(
  session: MqttSession,
  query: QueryClient,
  stores: { fleet: FleetStore; items: ItemsStore },
  opts: SnapshotOptions = {},
): { readonly status: Readonly<ShallowRef<SnapshotStatus>> } {
  const status = shallowRef<SnapshotStatus>({ state: 'idle' });
  const afterRender = opts.afterRender ?? afterVueAndFrame;
  const fallback = (reason: string) => {
    status.value = { state: 'fallback', reason };
    console.info(`sitrep: no fleet snapshot (${reason}); reading the retained state alone`);
  };
  session.setGate(async () => {
    const connect = session.connects.value;
    status.value = { state: 'asking' };
    const r = await query.ask('fleetSnapshot', {}, { timeoutMs: opts.timeoutMs ?? SNAPSHOT_TIMEOUT_MS });
    // An answer for a connection that has since been replaced is not folded into the new one.
    if (session.connects.value !== connect) return;
    if (!r.ok) return fallback(r.reason);
    const read = readSnapshot(r.data);
    if (!read.ok) {
      console.warn(`sitrep: ignored the fleet snapshot: ${read.reason}`);
      return fallback(read.reason);
    }
    stores.fleet.applySnapshot(read.value.nodes);
    stores.items.applySnapshot(read.value.services);
    status.value = { state: 'applied', ts: read.value.ts, nodes: read.value.nodes.size, services: read.value.services.length };
    await new Promise<void>((resolve) => afterRender(resolve));
  });
  if (getCurrentScope() !== undefined) onScopeDispose(() => session.setGate(null));
  return { status };
}
