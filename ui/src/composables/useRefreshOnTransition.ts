/**
 * Re-ask history queries when a matching service transition arrives on the live stream, a little
 * later so the projector (which consumes the same event) has folded it by then.
 */
import { onBeforeUnmount, watch } from 'vue';
import type { ServiceStateChanged } from '@sitrep/schemas';
import { useApp } from '../app-context.js';

export const FOLD_DELAY_MS = 700;

export function useRefreshOnTransition(matches: (e: ServiceStateChanged) => boolean, refresh: () => void): void {
  const { events } = useApp();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The watched value is the newest matching event; one already there when the view opened is in
  // the view's first answer, so only a change triggers a refresh.
  watch(
    () => events.events.value.find((e): e is ServiceStateChanged => e.type === 'ServiceStateChanged' && matches(e)),
    (e) => {
      if (e === undefined) return;
      clearTimeout(timer);
      timer = setTimeout(refresh, FOLD_DELAY_MS);
    },
  );
  onBeforeUnmount(() => clearTimeout(timer));
}
