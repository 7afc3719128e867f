/**
 * The overview's first paint from the projector's fleet snapshot: on every connect, before the
 * fleet and items feeds subscribe to the retained state of every node (thousands of topics), the
 * session's gate asks the projector for the `fleetSnapshot` query, folds the answer into the
 * stores and lets the browser paint it; then the feeds subscribe and the retained messages take
 * over (model/fleet-snapshot: they always win). The feeds subscribe anyway, and the page reads
 * the retained state alone as without a snapshot, when the projector's retained status says it
 * is offline, when it has not answered within SNAPSHOT_TIMEOUT_MS (or no projector runs), or on
 * an error or an invalid snapshot.
 */
import { getCurrentScope, onScopeDispose, shallowRef, watch, type ShallowRef } from 'vue';
import type { ProjectorStatus } from '@sitrep/schemas';
import { readSnapshot } from '../model/fleet-snapshot.js';
import { afterVueAndFrame } from './batch.js';
import type { FleetStore } from './useFleet.js';
import type { ItemsStore } from './useItems.js';
import type { MqttSession } from './useMqtt.js';
import type { QueryClient } from './useQuery.js';

/**
 * How long the retained subscriptions wait for the snapshot. The projector answers a 500-node
 * fleet in 0.1-0.5 s on the bench's loaded 2 cores; a false fallback costs far more than waiting
 * (the whole retained flood), and a hub always runs a projector, whose retained status says
 * `offline` when it is down (that is not waited for at all).
 */
export const SNAPSHOT_TIMEOUT_MS = 2500;

/** Performance marks, so the bench (and a person with devtools) can see where the first paint's time goes. */
const mark = (name: string) => globalThis.performance?.mark?.(name);

export type SnapshotStatus =
  | { readonly state: 'idle' }
  /** Not asked for: the page was opened with `?snapshot=off`. */
  | { readonly state: 'off' }
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
  /** The projector's retained status (useHubState): an offline projector is not waited for. */
  projector: Readonly<ShallowRef<ProjectorStatus | null>>,
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
    mark('sitrep:snapshot-asked');
    const away = projectorOffline(projector);
    const r = await Promise.race([query.ask('fleetSnapshot', {}, { timeoutMs: opts.timeoutMs ?? SNAPSHOT_TIMEOUT_MS }), away.promise]);
    away.cancel();
    mark('sitrep:snapshot-answered');
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
    mark('sitrep:snapshot-applied');
    await new Promise<void>((resolve) => afterRender(resolve));
    mark('sitrep:snapshot-painted');
  });
  if (getCurrentScope() !== undefined) onScopeDispose(() => session.setGate(null));
  return { status };
}

/** Settles with a reason once the projector's retained status says it is offline. */
function projectorOffline(projector: Readonly<ShallowRef<ProjectorStatus | null>>): { promise: Promise<{ ok: false; reason: string }>; cancel(): void } {
  let stop = () => {};
  const promise = new Promise<{ ok: false; reason: string }>((resolve) => {
    stop = watch(
      projector,
      (p) => {
        if (p?.state === 'offline') resolve({ ok: false, reason: 'the projector is offline' });
      },
      { immediate: true, flush: 'sync' },
    );
  });
  return { promise, cancel: () => stop() };
}
