/**
 * The live stores of one dashboard tab, created once in App.vue and provided to every view. Each
 * store is a composable over the one MQTT session; views read them, they never open sockets.
 */
import { inject, type InjectionKey, type ShallowRef } from 'vue';
import type { Auth } from './composables/useAuth.js';
import type { CommandsStore } from './composables/useCommands.js';
import type { EventsStore } from './composables/useEvents.js';
import type { FleetStore } from './composables/useFleet.js';
import type { SnapshotStatus } from './composables/useFleetSnapshot.js';
import type { HubStateStore } from './composables/useHubState.js';
import type { ItemsStore } from './composables/useItems.js';
import type { MqttSession } from './composables/useMqtt.js';
import type { QueryClient } from './composables/useQuery.js';

export interface AppContext {
  readonly session: MqttSession;
  readonly auth: Auth;
  readonly fleet: FleetStore;
  readonly items: ItemsStore;
  readonly hub: HubStateStore;
  readonly events: EventsStore;
  readonly commands: CommandsStore;
  readonly query: QueryClient;
  /** The fleet snapshot of the current connection: asked, applied, or fallen back from. */
  readonly snapshot: Readonly<ShallowRef<SnapshotStatus>>;
  /** A clock for relative times, ticking every few seconds. */
  readonly now: Readonly<ShallowRef<number>>;
}

export const APP_CONTEXT: InjectionKey<AppContext> = Symbol('sitrep app context');

export function useApp(): AppContext {
  const ctx = inject(APP_CONTEXT);
  if (ctx === undefined) throw new Error('useApp() outside the sitrep app');
  return ctx;
}
