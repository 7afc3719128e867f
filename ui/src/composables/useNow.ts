/** A clock for relative times ("3 min ago"), ticking while the calling scope lives. */
import { getCurrentScope, onScopeDispose, shallowRef, type ShallowRef } from 'vue';

export function useNow(intervalMs = 5000): Readonly<ShallowRef<number>> {
  const now = shallowRef(Date.now());
  const timer = setInterval(() => {
    now.value = Date.now();
  }, intervalMs);
  if (getCurrentScope() !== undefined) onScopeDispose(() => clearInterval(timer));
  return now;
}
